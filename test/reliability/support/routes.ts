import type { FastifyInstance } from 'fastify';

export interface Route {
  method: string;
  /** Fastify's pattern: /v1.0/:project/instances/:id */
  url: string;
  params: string[];
}

/**
 * Every route of a running app, read from Fastify's own route tree
 * (printRoutes without common prefixes: one path segment per line, children
 * indented by four columns), so a route added later is fuzzed too.
 */
export function routesOf(app: FastifyInstance): Route[] {
  const routes: Route[] = [];
  const stack: string[] = [];
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const branch = line.search(/[├└]── /);
    if (branch === -1) continue;
    const level = branch / 4;
    const match = /^(.*?)(?: \(([A-Z, ]+)\))?$/.exec(line.slice(branch + 4))!;
    stack.length = level;
    const url = (stack.at(-1) ?? '') + match[1]!;
    stack.push(url);
    for (const method of match[2]?.split(', ') ?? []) {
      routes.push({ method, url, params: [...url.matchAll(/:([A-Za-z_]+)/g)].map((m) => m[1]!) });
    }
  }
  return routes;
}
