import { chmod, mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import type { Connection } from './api-client';
import { UsageError } from './errors';

export const CONFIG_FILE = 'config.json';

/** What `rollout login` stores. */
export interface StoredConfig {
  url: string;
  token: string;
}

/**
 * The folder of the configuration: `--config-dir`, else `ROLLOUT_CONFIG_DIR`, else
 * `$XDG_CONFIG_HOME/rollout` (when absolute, as the XDG specification requires), else `~/.config/rollout`.
 */
export function configDir(env: NodeJS.ProcessEnv, override?: string, home = homedir()): string {
  if (override !== undefined && override !== '') return override;
  if (env.ROLLOUT_CONFIG_DIR) return env.ROLLOUT_CONFIG_DIR;
  const xdg = env.XDG_CONFIG_HOME;
  if (xdg && isAbsolute(xdg)) return join(xdg, 'rollout');
  return join(home, '.config', 'rollout');
}

/** The API's origin without a trailing slash; refuses what is not http(s) or carries credentials. */
export function normaliseUrl(input: string): string {
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    throw new UsageError(`"${input}" is not a URL: give the API's address, e.g. http://127.0.0.1:3000`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`the API URL must start with http:// or https://, not ${url.protocol}`);
  }
  if (url.username !== '' || url.password !== '') {
    throw new UsageError('the API URL must not contain a user name or password; use --token');
  }
  if (url.search !== '' || url.hash !== '') {
    throw new UsageError('the API URL must not contain a query or a fragment');
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

function isStoredConfig(value: unknown): value is StoredConfig {
  const { url, token } = (value ?? {}) as Partial<Record<keyof StoredConfig, unknown>>;
  return typeof url === 'string' && typeof token === 'string';
}

export interface LoadedConfig {
  config: StoredConfig | null;
  /** Set when the file may be read by others than its owner. */
  warning?: string;
}

/** The stored configuration, or null when there is none. A damaged file is an error naming it. */
export async function readConfig(dir: string): Promise<LoadedConfig> {
  const path = join(dir, CONFIG_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { config: null };
    throw new UsageError(`cannot read ${path}: ${(error as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new UsageError(`${path} is not valid JSON; run rollout login again`);
  }
  if (!isStoredConfig(parsed)) throw new UsageError(`${path} lacks url or token; run rollout login again`);
  const mode = (await stat(path)).mode & 0o777;
  const warning =
    (mode & 0o077) !== 0
      ? `${path} can be read by other users (mode ${mode.toString(8)}); run chmod 600 ${path}`
      : undefined;
  return { config: parsed, warning };
}

/**
 * Stores the configuration readable by its owner only: the folder 0700, the file 0600, written to a
 * temporary file first and renamed over the old one, so no reader sees half a file.
 */
export async function writeConfig(dir: string, config: StoredConfig): Promise<string> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
  const path = join(dir, CONFIG_FILE);
  const temporary = join(dir, `.${CONFIG_FILE}.${process.pid}.tmp`);
  try {
    await writeFile(temporary, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
    await chmod(temporary, 0o600);
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
  return path;
}

/**
 * Where to connect and with which token: `ROLLOUT_URL` and `ROLLOUT_TOKEN` override what `login` stored,
 * each on its own.
 */
export function resolveConnection(env: NodeJS.ProcessEnv, stored: StoredConfig | null): Connection {
  const url = env.ROLLOUT_URL || stored?.url;
  const token = env.ROLLOUT_TOKEN || stored?.token;
  if (!url || !token) {
    throw new UsageError(
      'not logged in: run rollout login URL --token TOKEN (or set ROLLOUT_URL and ROLLOUT_TOKEN)',
    );
  }
  return { url: normaliseUrl(url), token };
}
