import { z } from 'zod';
import { BerthError } from '../../datastores/errors/berth-error.js';

/**
 * Trove's flavors (its Nova flavors): the sizes an instance is created with.
 * Berth's come from the server config; the RAM goes to prepare's memory-mb,
 * from which the managers size their buffers. vCPUs and disk are what the
 * operator promises; the local provisioner does not enforce them.
 */
export const flavorSchema = z.strictObject({
  id: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be letters, digits, _ . or -, e.g. "1"'),
  name: z.string().min(1).max(64),
  /** Memory in MB. */
  ram: z.number().int().min(128, 'must be at least 128 (MB)').max(16 * 1024 * 1024),
  vcpus: z.number().int().min(1).max(1024).default(1),
  /** Root disk in GB (Trove shows it; Berth's volumes are sized by volume.size). */
  disk: z.number().int().min(0).max(1_000_000).default(0),
});
export type Flavor = z.output<typeof flavorSchema>;

export const DEFAULT_FLAVORS: Flavor[] = [
  { id: '1', name: 'berth.small', ram: 512, vcpus: 1, disk: 5 },
  { id: '2', name: 'berth.medium', ram: 2048, vcpus: 2, disk: 10 },
  { id: '3', name: 'berth.large', ram: 8192, vcpus: 4, disk: 20 },
];

export const flavorsConfigSchema = z
  .array(flavorSchema)
  .min(1, 'at least one flavor: instances are created with one (remove [[flavors]] for the built-in ones)')
  .refine((flavors) => new Set(flavors.map((flavor) => flavor.id)).size === flavors.length, 'flavor ids must be unique')
  .default(DEFAULT_FLAVORS);

export class FlavorCatalog {
  constructor(private readonly flavors: readonly Flavor[]) {
    if (flavors.length === 0) throw new Error('a flavor catalog needs at least one flavor');
  }

  list(): readonly Flavor[] {
    return this.flavors;
  }

  /** The flavor an instance without flavorRef gets: the first configured. */
  get default(): Flavor {
    return this.flavors[0]!;
  }

  get(id: string): Flavor {
    const flavor = this.flavors.find((candidate) => candidate.id === id);
    if (!flavor) throw new BerthError('BERTH_ERR_FLAVOR_NOT_FOUND', `no flavor ${id}`, `GET /v1.0/{project}/flavors lists them: ${this.flavors.map((f) => f.id).join(', ')}`);
    return flavor;
  }

  /** Trove's flavorRef: an id, a number, or a link whose last segment is the id. */
  resolve(reference: string | number | undefined): Flavor {
    if (reference === undefined) return this.default;
    const text = String(reference);
    const id = /^https?:\/\//.test(text) ? (text.replace(/\/+$/, '').split('/').pop() ?? '') : text;
    try {
      return this.get(id);
    } catch (error) {
      if (error instanceof BerthError) throw new BerthError('BERTH_ERR_FLAVOR_NOT_FOUND', `instance.flavorRef: ${error.message}`, error.fix);
      throw error;
    }
  }
}
