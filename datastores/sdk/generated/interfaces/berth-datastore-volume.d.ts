/// <reference path="./berth-datastore-types.d.ts" />
declare module 'berth:datastore/volume@0.2.0' {
  /**
   * Statistics of the file system holding `path` (usually the mount point).
   * Errors: not-found, denied, failed.
   */
  export function getFilesystemStats(path: string): FilesystemStats;
  /**
   * Mount `device` on `mount-point`, optionally persisting it in fstab.
   * Errors: not-found (device), denied, failed.
   */
  export function mountVolume(device: string, mountPoint: string, writeToFstab: boolean): void;
  /**
   * Unmount the volume. Errors: not-found, failed.
   */
  export function unmountVolume(device: string, mountPoint: string): void;
  /**
   * Grow the file system to the device's new size; `online` when the
   * datastore keeps running. Errors: unavailable, failed.
   */
  export function resizeFs(device: string, mountPoint: string, online: boolean): void;
  export type ManagerError = import('berth:datastore/types@0.2.0').ManagerError;
  export interface FilesystemStats {
    blockSize: bigint,
    totalBlocks: bigint,
    freeBlocks: bigint,
    /**
     * Bytes.
     */
    total: bigint,
    free: bigint,
    used: bigint,
  }
}
