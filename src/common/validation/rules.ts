import { isIP } from 'node:net';
import { posix } from 'node:path';
import { type ParsedKey, utils } from 'ssh2';
import { shellQuote } from '../../rollout/commands/shell';

/**
 * Pure predicates behind the custom validation decorators. The command builders and proxy renderers call
 * the same predicates, so a value accepted at request time is never refused at deploy time.
 */

export const MAX_INT4 = 2_147_483_647;

/**
 * Invisible or ambiguous characters: controls, format characters (bidi overrides, zero-width), every kind of
 * space or line separator, unassigned and private-use code points, and lone surrogates (not valid Unicode:
 * they cannot be sent as UTF-8 byte-exact).
 */
const HIDDEN = /[\p{C}\p{Z}]/u;
/** What a one-line command may not hold: line breaks, controls other than tab, format characters, lone surrogates. */
// eslint-disable-next-line no-control-regex
const COMMAND_FORBIDDEN = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\p{Cf}\p{Cs}\p{Zl}\p{Zp}]/u;
const LONE_SURROGATE = /\p{Cs}/u;
const QUOTE_OR_BACKSLASH = /['"`\\]/;
const HOSTNAME_LABEL = /^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$/;

export function utf8Bytes(value: string): number {
  return Buffer.byteLength(value, 'utf8');
}

/** Valid Unicode: no lone surrogate, so the string has one exact UTF-8 encoding. */
export function isWellFormed(value: string): boolean {
  return !LONE_SURROGATE.test(value);
}

/**
 * Docker's container name grammar (daemon/names: `^[a-zA-Z0-9][a-zA-Z0-9_.-]+$`, so at least two characters),
 * bounded here at 128.
 */
const CONTAINER_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{1,127}$/;

export function isContainerName(value: unknown): value is string {
  return typeof value === 'string' && CONTAINER_NAME.test(value);
}

/** An application's name is its container's name (and `<name>-previous` the kept one's): 2–63 characters. */
export const APPLICATION_NAME = /^[a-z0-9][a-z0-9_.-]{1,62}$/;

export function isHostname(value: unknown): value is string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 253) return false;
  return value.split('.').every((label) => HOSTNAME_LABEL.test(label));
}

/**
 * An IP address (its 4 or 6), or 0. An IPv6 zone (`fe80::1%eth0`) is refused: neither a URL, nginx nor Traefik
 * takes one as written, so the health probe and the load balancers could not reach such a server.
 */
export function ipVersion(value: string): 0 | 4 | 6 {
  if (value.includes('%')) return 0;
  return isIP(value) as 0 | 4 | 6;
}

/**
 * A hostname that an URL keeps as written. The health probe's URL (WHATWG) reads a name ending in a number
 * as IPv4, as inet_aton does: `1.2.3` is 1.2.0.3, `0x7f.1` is 127.0.0.1, and `310.0.0.5`, `09` or an invalid
 * punycode label (`xn--a`) are no URL at all, so the probe could never reach such a server.
 */
export function isUrlHostname(value: string): boolean {
  if (!isHostname(value)) return false;
  try {
    return new URL(`http://${value}/`).hostname === value.toLowerCase();
  } catch {
    return false;
  }
}

const NUMBER_LABEL = /^(?:0x[0-9a-f]*|[0-9]+)$/i;

/**
 * A host whose last label is a number is an IPv4 address in some spelling (`2852039166`, `0x7f.1`) or
 * nothing: the host policy (`parseHost`) reads it as the resolver does when the server is registered.
 */
export function endsInNumber(value: string): boolean {
  return NUMBER_LABEL.test(value.split('.').at(-1) ?? '');
}

/**
 * An IPv4 or IPv6 address, or a hostname: nothing a shell, an URL or SSH option could misread. A name ending in
 * a number passes here and is decided by the host policy at registration.
 */
export function isHost(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  if (ipVersion(value) !== 0) return true;
  return isHostname(value) && (endsInNumber(value) || isUrlHostname(value));
}

export const MAX_HEALTH_CHECK_PATH_LENGTH = 2048;

/** An URL path for the health check: `/` first, no whitespace, control or invisible characters (no header injection). */
export function isHealthCheckPath(value: unknown): value is string {
  return (
    typeof value === 'string' &&
    value.startsWith('/') &&
    value.length <= MAX_HEALTH_CHECK_PATH_LENGTH &&
    !HIDDEN.test(value)
  );
}

export const MAX_REMOTE_PATH_BYTES = 1024;
/** NAME_MAX (255 bytes) less what the temporary sibling of an atomic replace adds: `.` and `.rollout-tmp`. */
export const MAX_PATH_SEGMENT_BYTES = 242;

/**
 * An absolute, normalized file path on a remote server: no `.` or `..` segment, no `//`, no trailing `/`, no
 * whitespace, control, invisible characters, quotes or backslashes; at most 1024 bytes and 242 per segment.
 */
export function isRemoteFilePath(value: unknown): value is string {
  if (typeof value !== 'string' || !value.startsWith('/') || value.endsWith('/')) return false;
  if (HIDDEN.test(value) || QUOTE_OR_BACKSLASH.test(value)) return false;
  if (utf8Bytes(value) > MAX_REMOTE_PATH_BYTES || posix.normalize(value) !== value) return false;
  return value.split('/').every((segment) => utf8Bytes(segment) <= MAX_PATH_SEGMENT_BYTES);
}

/** Where Docker keeps images on a server, as `df` is asked about it: `/` or an absolute, normalized path. */
export function isDockerDataPath(value: unknown): value is string {
  return value === '/' || isRemoteFilePath(value);
}

/** `sun_path` holds 108 bytes, its terminating NUL included. */
export const MAX_SOCKET_PATH_BYTES = 107;
/** socat reads `,` `:` `!` and spaces in an address as syntax, so only plain characters. */
const SOCKET_PATH_CHARACTERS = /^\/[A-Za-z0-9_./-]+$/;

/** HAProxy's admin socket as socat's `UNIX-CONNECT:` address: a plain normalized path that fits `sun_path`. */
export function isHaproxySocketPath(value: unknown): value is string {
  return (
    isRemoteFilePath(value) && SOCKET_PATH_CHARACTERS.test(value) && value.length <= MAX_SOCKET_PATH_BYTES
  );
}

export const MAX_HAPROXY_NAME_LENGTH = 255;
/** HAProxy's own name grammar; it also keeps `;`, `/`, spaces and newlines out of runtime API commands. */
const HAPROXY_NAME = /^[A-Za-z0-9_.:-]+$/;

export function isHaproxyName(value: unknown): value is string {
  return typeof value === 'string' && value.length <= MAX_HAPROXY_NAME_LENGTH && HAPROXY_NAME.test(value);
}

export const MAX_COMMAND_LENGTH = 1024;

/** A one-line command run on the load balancer's server (it is shell-quoted there as one `sh -c` word). */
export function isOneLineCommand(value: unknown): value is string {
  return (
    typeof value === 'string' &&
    value.trim() !== '' &&
    value.length <= MAX_COMMAND_LENGTH &&
    !COMMAND_FORBIDDEN.test(value)
  );
}

const ENV_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;
export const MAX_ENV_NAME_LENGTH = 255;
export const MAX_ENV_VALUE_LENGTH = 32768;
export const MAX_ENV_ENTRIES = 1000;
/**
 * The `-e NAME=value` words of `docker run`, shell-quoted, at most 64 KiB: the whole command line travels as
 * one `sh -c` argument, which Linux caps at 128 KiB (MAX_ARG_STRLEN).
 */
export const MAX_ENV_COMMAND_BYTES = 65536;

/** The bytes the env adds to the `docker run` command line once each `-e NAME=value` word is quoted. */
export function envCommandBytes(env: Record<string, string>): number {
  return Object.entries(env).reduce(
    (total, [key, value]) => total + ' -e '.length + utf8Bytes(shellQuote(`${key}=${value}`)),
    0,
  );
}

/**
 * Why an env map is refused, or null when it is a plain object of valid names to strings that reach the
 * container byte-exact (no NUL, valid Unicode). Messages name variables, never values.
 */
export function envMapProblem(value: unknown): string | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return 'must be an object of strings';
  const entries = Object.entries(value);
  if (entries.length > MAX_ENV_ENTRIES) return `must have at most ${MAX_ENV_ENTRIES} variables`;
  for (const [key, entry] of entries) {
    if (!ENV_KEY.test(key) || key.length > MAX_ENV_NAME_LENGTH) {
      return `has an invalid variable name ${JSON.stringify(key)} (expected [A-Za-z_][A-Za-z0-9_]*, at most ${MAX_ENV_NAME_LENGTH} characters)`;
    }
    if (typeof entry !== 'string') return `value of ${key} must be a string`;
    if (entry.includes('\0') || entry.length > MAX_ENV_VALUE_LENGTH)
      return `value of ${key} must not contain NUL (max ${MAX_ENV_VALUE_LENGTH})`;
    if (!isWellFormed(entry)) return `value of ${key} must be valid Unicode (no lone surrogate)`;
  }
  return null;
}

/** Why an env passed as `docker run -e` arguments is refused: `envMapProblem`, or too large for one command line. */
export function commandLineEnvProblem(value: unknown): string | null {
  const problem = envMapProblem(value);
  if (problem !== null) return problem;
  if (envCommandBytes(value as Record<string, string>) > MAX_ENV_COMMAND_BYTES) {
    return `is too large: at most ${MAX_ENV_COMMAND_BYTES} bytes once written as shell-quoted docker run -e arguments`;
  }
  return null;
}

const PRIVATE_KEY_BLOCK =
  /^-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----\r?\n[\s\S]+\r?\n-----END [A-Z0-9 ]*PRIVATE KEY-----\s*$/;

/** Why a private key is refused, or null when ssh2 parses it as an unencrypted private key. */
export function privateKeyProblem(value: unknown): string | null {
  if (typeof value !== 'string' || value.length > 16384 || !PRIVATE_KEY_BLOCK.test(value.trim())) {
    return 'must be a private key in PEM or OpenSSH format (a -----BEGIN … block)';
  }
  const encrypted =
    'is encrypted with a passphrase, which is not supported: register a key without a passphrase';
  if (/ENCRYPTED/.test(value)) return encrypted;
  const parsed = utils.parseKey(value);
  if (parsed instanceof Error) {
    return /passphrase|encrypted/i.test(parsed.message)
      ? encrypted
      : `could not be parsed (${parsed.message})`;
  }
  // An OpenSSH file may hold several keys: ssh2 then returns an array, which its types leave out.
  const keys = parsed as ParsedKey | ParsedKey[];
  const key = Array.isArray(keys) ? keys[0] : keys;
  if (!key || !key.isPrivateKey()) return 'must be a private key, not a public key';
  return null;
}
