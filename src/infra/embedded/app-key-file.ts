import { randomBytes } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAppKey } from '../../config/app-config';

export function appKeyPath(dataDir: string): string {
  return join(dataDir, 'app-key');
}

/**
 * The APP_KEY of the embedded default: read from the data folder, or generated there (mode 0600) on the
 * first start. Returns the key and whether it was generated now.
 */
export function loadOrCreateAppKey(dataDir: string): { hex: string; generated: boolean; path: string } {
  const path = appKeyPath(dataDir);
  let hex: string;
  try {
    hex = readFileSync(path, 'utf8').trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    hex = randomBytes(32).toString('hex');
    writeFileSync(path, `${hex}\n`, { mode: 0o600, flag: 'wx' });
    return { hex, generated: true, path };
  }
  // Validated like the variable: a damaged file stops the start rather than locking secrets away.
  const variable = `APP_KEY (from ${path})`;
  parseAppKey({ [variable]: hex }, variable);
  return { hex, generated: false, path };
}

/** Replaces the stored key after `keys rotate` re-encrypted every secret under the new one. */
export function replaceAppKey(dataDir: string, hex: string): void {
  const path = appKeyPath(dataDir);
  const temporary = `${path}.new`;
  writeFileSync(temporary, `${hex}\n`, { mode: 0o600 });
  // rename is atomic: the key file is always one whole key.
  renameSync(temporary, path);
}
