/**
 * The guest-side write lease (server/instances/write-leases.ts, when built):
 * the server-clock time in ms after which an instance's old source is
 * guaranteed read-only, or undefined when it holds no lease.
 */
export interface WriteLeases { expiredAt(instanceId: string): number | undefined }
