/** An instance's endpoint as the store keeps it, "host:port"; undefined when it has none. */
export function parseEndpoint(endpoint: string | null): { host: string; port: number } | undefined {
  const match = endpoint ? /^(.*):(\d+)$/.exec(endpoint) : null;
  return match ? { host: match[1]!, port: Number(match[2]) } : undefined;
}
