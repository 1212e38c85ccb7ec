import type { Files } from './capabilities/files.js';

/** Remove everything inside `directory`, keeping it. */
export function clearDirectory(files: Files, directory: string): void {
  for (const entry of files.list(directory)) {
    const path = `${directory}/${entry.name}`;
    if (entry.type === 'directory') clearDirectory(files, path);
    files.remove(path);
  }
}

/** Remove a directory and everything in it, if it is there. */
export function removeTree(files: Files, path: string): void {
  if (!files.exists(path)) return;
  clearDirectory(files, path);
  files.remove(path);
}
