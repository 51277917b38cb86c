import { domainToASCII } from 'node:url';
import { parseHost } from '../../common/network/host-policy';
import { endsInNumber, ipVersion } from '../../common/validation/rules';
import type { ApplicationRef, RotationMember } from '../ports/load-balancer.port';

/** The first line of every file Rollout writes for a proxy. */
export const MANAGED_HEADER = '# Managed by Rollout — changes are overwritten';

/** Raised by the pure renderers for values that cannot be put into a proxy configuration safely. */
export class UnsafeConfigValueError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnsafeConfigValueError';
  }
}

/** `Shop API_v2` → `shop-api-v2`: the readable part of a Traefik router/service or nginx upstream name. */
export function sanitizeApplicationName(applicationName: string): string {
  return applicationName
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

/**
 * `{ id: 7, name: 'Shop API_v2' }` → `shop-api-v2-7`. The id keeps names unique: two teams' `shop`
 * applications behind one Traefik would otherwise declare the same router, which Traefik rejects.
 */
export function proxyObjectName(application: ApplicationRef): string {
  if (!Number.isSafeInteger(application.id) || application.id < 1) {
    throw new UnsafeConfigValueError(`not a valid application id: ${application.id}`);
  }
  const readable = sanitizeApplicationName(application.name);
  return readable === '' ? `app-${application.id}` : `${readable}-${application.id}`;
}

const HOSTNAME_LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/**
 * Returns the domain in lower-case ASCII (internationalized names become punycode), or throws. Anything else
 * could break out of Traefik's backquoted rule or an nginx directive, so it is rejected rather than escaped.
 */
export function normalizeDomain(domain: string): string {
  const ascii = toAscii(domain);
  const labels = ascii.split('.');
  if (ascii === '' || ascii.length > 253 || !labels.every((label) => HOSTNAME_LABEL.test(label))) {
    throw new UnsafeConfigValueError(`not a valid domain name: ${JSON.stringify(domain)}`);
  }
  return ascii;
}

/** domainToASCII parses like a URL host (it cuts at `/`, drops tabs, rewrites `1.2.3`): it sees only plain names. */
function toAscii(domain: string): string {
  if (!/^[A-Za-z0-9.\-\u0080-\uFFFF]+$/.test(domain)) return '';
  return /^[A-Za-z0-9.-]+$/.test(domain) ? domain.toLowerCase() : domainToASCII(domain);
}

/** `host:port` as nginx and URLs write it (IPv6 in brackets); throws for anything that is not an address. */
export function memberAddress(member: RotationMember): string {
  assertPort(member.port, `server ${member.serverName}: port`);
  const version = ipVersion(member.host);
  if (version === 6) return `[${member.host}]:${member.port}`;
  if (version === 4) return `${member.host}:${member.port}`;
  if (endsInNumber(member.host)) {
    // `0x7f.1` is 127.0.0.1 to SSH and the health probe, but a name to Traefik (Go): the address, then.
    const parsed = parseHost(member.host);
    if (parsed.kind === 'address' && parsed.family === 4) return `${parsed.address}:${member.port}`;
    throw new UnsafeConfigValueError(
      `server ${member.serverName}: not a valid host: ${JSON.stringify(member.host)}`,
    );
  }
  try {
    return `${normalizeDomain(member.host)}:${member.port}`;
  } catch {
    throw new UnsafeConfigValueError(
      `server ${member.serverName}: not a valid host: ${JSON.stringify(member.host)}`,
    );
  }
}

export function assertPort(port: number, what: string): void {
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new UnsafeConfigValueError(`${what} is not a valid port: ${port}`);
  }
}
