import { describe, expect, it } from 'vitest';
import { appendCustomSection, classifyBinary, readCustomSections } from '../../../datastores/toolchain/wasm-binary.js';

const core = Uint8Array.from([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);
const component = Uint8Array.from([0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00]);

describe('wasm binary inspection', () => {
  it('tells components, core modules and other bytes apart', () => {
    expect(classifyBinary(component)).toBe('component');
    expect(classifyBinary(core)).toBe('core-module');
    expect(classifyBinary(Uint8Array.from([0x00, 0x61, 0x73, 0x6d, 0x02, 0x00, 0x00, 0x00]))).toBe('unknown-wasm');
    expect(classifyBinary(new TextEncoder().encode('#!/bin/sh\necho hi\n'))).toBe('not-wasm');
    expect(classifyBinary(new Uint8Array())).toBe('not-wasm');
  });

  it('round-trips custom sections, including payloads longer than one LEB128 byte', () => {
    const payload = Uint8Array.from({ length: 70_000 }, (_, i) => i % 256);
    const withSections = appendCustomSection(appendCustomSection(component, 'first', Uint8Array.of(1, 2, 3)), 'berth:manifest', payload);
    expect(WebAssembly.validate(appendCustomSection(core, 'x', payload))).toBe(true);
    const sections = readCustomSections(withSections);
    expect([...sections.keys()]).toEqual(['first', 'berth:manifest']);
    expect(sections.get('first')).toEqual(Uint8Array.of(1, 2, 3));
    expect(sections.get('berth:manifest')).toEqual(payload);
  });

  it('reports a section that runs past the end of the file', () => {
    const truncated = appendCustomSection(component, 'name', new Uint8Array(500)).subarray(0, 100);
    expect(() => readCustomSections(truncated)).toThrow(RangeError);
  });
});
