import { isIP } from 'node:net';
import { utils } from 'ssh2';

/** Pure predicates behind the custom validation decorators. */

export const MAX_INT4 = 2_147_483_647;

// eslint-disable-next-line no-control-regex
const CONTROL_OR_SPACE = /[\s\u0000-\u001f\u007f]/;
// eslint-disable-next-line no-control-regex
const CONTROL_OR_SPACE_OR_QUOTE = /[\s\u0000-\u001f\u007f'"`\\]/;
const HOSTNAME_LABEL = /^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$/;

export function isHostname(value: unknown): value is string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 253) return false;
  return value.split('.').every((label) => HOSTNAME_LABEL.test(label));
}

/** An IPv4 or IPv6 address, or a hostname: nothing a shell or SSH option could misread. */
export function isHost(value: unknown): value is string {
  return typeof value === 'string' && (isIP(value) !== 0 || isHostname(value));
}

/** An URL path for the health check: `/` first, no whitespace or control characters (no header injection). */
export function isHealthCheckPath(value: unknown): value is string {
  return (
    typeof value === 'string' &&
    value.startsWith('/') &&
    value.length <= 2048 &&
    !CONTROL_OR_SPACE.test(value)
  );
}

/** An absolute file path on a remote server, without whitespace, control characters or quotes. */
export function isAbsoluteRemotePath(value: unknown): value is string {
  return (
    typeof value === 'string' &&
    value.startsWith('/') &&
    value.length <= 4096 &&
    !value.endsWith('/') &&
    !CONTROL_OR_SPACE_OR_QUOTE.test(value)
  );
}

/** A one-line command run on the load balancer's server (it is shell-quoted there as one `sh -c` word). */
export function isOneLineCommand(value: unknown): value is string {
  return typeof value === 'string' && value.trim() !== '' && value.length <= 1024 && !/[\r\n\0]/.test(value);
}

const ENV_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Why an env map is refused, or null when it is a plain object of valid names to NUL-free strings. */
export function envMapProblem(value: unknown): string | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return 'must be an object of strings';
  for (const [key, entry] of Object.entries(value)) {
    if (!ENV_KEY.test(key) || key.length > 255) {
      return `has an invalid variable name ${JSON.stringify(key)} (expected [A-Za-z_][A-Za-z0-9_]*)`;
    }
    if (typeof entry !== 'string') return `value of ${key} must be a string`;
    if (entry.includes('\0') || entry.length > 32768)
      return `value of ${key} must not contain NUL (max 32768)`;
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
  const key = Array.isArray(parsed) ? parsed[0] : parsed;
  if (!key || !key.isPrivateKey()) return 'must be a private key, not a public key';
  return null;
}
