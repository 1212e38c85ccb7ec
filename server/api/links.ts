import { z } from 'zod';

/**
 * Trove's `links` (trove/common/views.py create_links): the resource's URL
 * under the project ("self") and without it ("bookmark"). The base is the
 * URL the client used, so the links work from where the client stands.
 */
export interface Link {
  href: string;
  rel: 'self' | 'bookmark';
}

export interface LinkRequest {
  protocol: string;
  host: string;
}

export function links(request: LinkRequest, project: string, resourcePath: string, id: string): Link[] {
  const base = `${request.protocol}://${request.host}`;
  return [
    { href: `${base}/v1.0/${project}/${resourcePath}/${id}`, rel: 'self' },
    { href: `${base}/${resourcePath}/${id}`, rel: 'bookmark' },
  ];
}

export const linksSchema = z.array(z.object({ href: z.string(), rel: z.enum(['self', 'bookmark']) }));
