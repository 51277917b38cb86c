import { spawnSync } from 'node:child_process';
import { chmodSync, constants, accessSync, mkdirSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError } from '../../config/app-config';

type Env = Record<string, string | undefined>;

/** Root's default: PostgreSQL refuses to run as root, and its unprivileged user cannot reach /root. */
export const ROOT_DATA_DIR = '/var/lib/rollout';
export const USER_DATA_DIR = '.rollout';

export function isRoot(): boolean {
  return process.getuid?.() === 0;
}

/** ROLLOUT_DATA_DIR (relative to the working directory), else `./.rollout`, or `/var/lib/rollout` as root. */
export function resolveDataDir(env: Env, asRoot = isRoot(), cwd = process.cwd()): string {
  const given = env.ROLLOUT_DATA_DIR?.trim();
  if (given) return resolve(cwd, given);
  return asRoot ? ROOT_DATA_DIR : resolve(cwd, USER_DATA_DIR);
}

/** The unprivileged account the embedded PostgreSQL runs as when we are root. */
export interface ServiceAccount {
  name: string;
  uid: number;
  gid: number;
}

export function lookUpAccount(name: string): ServiceAccount | null {
  const uid = spawnSync('id', ['-u', name], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', name], { encoding: 'utf8' });
  if (uid.status !== 0 || gid.status !== 0) return null;
  return { name, uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

/**
 * Creates the data folder when missing and makes sure the embedded PostgreSQL can use it. As root the
 * folder itself is made traversable (o+x: no listing, no reading) for `account`, and the start stops with
 * the folder named when a parent folder shuts that account out (e.g. anything under /root).
 */
export function prepareDataDir(dataDir: string, account: ServiceAccount | null): void {
  try {
    mkdirSync(dataDir, { recursive: true, mode: account ? 0o711 : 0o700 });
    accessSync(dataDir, constants.W_OK | constants.X_OK);
  } catch (error) {
    throw new ConfigError(
      'ROLLOUT_DATA_DIR',
      `cannot use the data folder ${dataDir} (${(error as Error).message}); point ROLLOUT_DATA_DIR at a folder this user can write to`,
    );
  }
  if (!account) return;
  const stat = statSync(dataDir);
  if (stat.uid === 0 && (stat.mode & 0o001) === 0) chmodSync(dataDir, (stat.mode & 0o7777) | 0o001);
  const reach = spawnSync('/bin/sh', ['-c', 'cd -- "$1"', 'sh', dataDir], {
    uid: account.uid,
    gid: account.gid,
    stdio: 'ignore',
  });
  if (reach.status !== 0) {
    throw new ConfigError(
      'ROLLOUT_DATA_DIR',
      `the embedded PostgreSQL runs as the unprivileged user "${account.name}", which cannot reach the data folder ${dataDir} (a parent folder is closed to it). ` +
        `Use a folder outside /root, e.g. ROLLOUT_DATA_DIR=${ROOT_DATA_DIR} (root's default when it is unset), or open the parent folders to that user (chmod o+x)`,
    );
  }
}
