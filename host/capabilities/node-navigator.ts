/**
 * pg decides when it is imported whether it runs in Cloudflare Workers:
 * where `navigator` is undefined (Node 20; Node 21 and later define it) it
 * builds a `new Response(...)`, which loads Node's whole fetch
 * implementation (undici, with its llhttp wasm): 11 MiB of RSS for the
 * life of the host, only to learn that this is not Cloudflare. Given the
 * `navigator.userAgent` Node 21+ has, it answers from that instead. The
 * stand-in lives only while `load` runs, and only where Node has none.
 */
export async function importWithNodeNavigator<T>(load: () => Promise<T>): Promise<T> {
  if ('navigator' in globalThis) return load();
  const userAgent = `Node.js/${process.versions.node.split('.')[0]}`;
  Object.defineProperty(globalThis, 'navigator', { value: { userAgent }, configurable: true, writable: true, enumerable: false });
  try {
    return await load();
  } finally {
    Reflect.deleteProperty(globalThis, 'navigator');
  }
}
