import { utf8 } from '../sdk/utf8.js';
import type { MyContext } from './options.js';

export function ensureDirectory(ctx: MyContext, path: string): void {
  if (!ctx.files.exists(path)) ctx.files.makeDirectory(path);
}

export function sizeOf(ctx: MyContext, path: string): number {
  return ctx.files.exists(path) ? ctx.files.size(path) : 0;
}

/** What a log gained since `from` bytes, as text. */
export function textSince(ctx: MyContext, path: string, from: number): string {
  const size = sizeOf(ctx, path);
  if (size <= from) return '';
  return utf8.decode(ctx.files.readRange(path, from, Math.min(size - from, 256 * 1024)));
}

export function removeIfPresent(ctx: MyContext, path: string): void {
  if (ctx.files.exists(path)) ctx.files.remove(path);
}
