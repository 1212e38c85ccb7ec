;; The Extism side of bench/side-by-side.ts: a real Extism plugin whose export
;; `status` answers the constant "running", as the counter manager's status
;; operation does in Berth. Written by hand in WebAssembly text because no
;; Extism PDK toolchain (Rust, Go, C, the JS PDK's own compiler) comes from npm;
;; bench/side-by-side.ts assembles it with wabt at bench time.
;;
;; ABI (Extism's runtime kernel, imported from `extism:host/env`): pointers into
;; the kernel's memory are i64; an export takes no arguments and returns an i32
;; status (0 = success). Output goes out the way every PDK sends it: alloc a
;; block in Extism memory, copy the bytes in (store_u64 per 8 bytes, store_u8 for
;; the tail, as the PDKs' memory copy does), then output_set(block, length).
(module
  (import "extism:host/env" "alloc" (func $alloc (param i64) (result i64)))
  (import "extism:host/env" "store_u8" (func $store_u8 (param i64 i32)))
  (import "extism:host/env" "store_u64" (func $store_u64 (param i64 i64)))
  (import "extism:host/env" "output_set" (func $output_set (param i64 i64)))

  (memory (export "memory") 1)
  (data (i32.const 16) "running")

  ;; Copy `len` bytes of this module's memory at `src` into a new Extism block; returns the block.
  (func $to_extism (param $src i32) (param $len i64) (result i64)
    (local $block i64)
    (local $i i64)
    (local.set $block (call $alloc (local.get $len)))
    (block $done
      (loop $words
        (br_if $done (i64.gt_u (i64.add (local.get $i) (i64.const 8)) (local.get $len)))
        (call $store_u64
          (i64.add (local.get $block) (local.get $i))
          (i64.load (i32.add (local.get $src) (i32.wrap_i64 (local.get $i)))))
        (local.set $i (i64.add (local.get $i) (i64.const 8)))
        (br $words)))
    (block $tail_done
      (loop $bytes
        (br_if $tail_done (i64.ge_u (local.get $i) (local.get $len)))
        (call $store_u8
          (i64.add (local.get $block) (local.get $i))
          (i32.load8_u (i32.add (local.get $src) (i32.wrap_i64 (local.get $i)))))
        (local.set $i (i64.add (local.get $i) (i64.const 1)))
        (br $bytes)))
    (local.get $block))

  (func (export "status") (result i32)
    (local $len i64)
    (local.set $len (i64.const 7))
    (call $output_set (call $to_extism (i32.const 16) (local.get $len)) (local.get $len))
    (i32.const 0))
)
