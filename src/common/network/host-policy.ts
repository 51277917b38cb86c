import { BlockList, isIPv4, isIPv6 } from 'node:net';
import { ValidationFailedError } from '../errors';

/** The environment variable whose CIDRs servers may not be registered at or connected to. */
export const DENYLIST_VARIABLE = 'SERVER_HOST_DENYLIST';
/** The link-local range, where cloud metadata services (169.254.169.254) answer. */
export const DEFAULT_SERVER_HOST_DENYLIST: readonly string[] = ['169.254.0.0/16'];

/**
 * A server's `host` as the resolver would read it: an address (every spelling `getaddrinfo` accepts
 * normalised), a name left for DNS, or something refused because it could be read both ways.
 */
export type ParsedHost =
  | { kind: 'address'; address: string; family: 4 | 6; zone: string | null }
  | { kind: 'name'; name: string }
  | { kind: 'invalid'; reason: string };

const NUMBER_LABEL = /^(?:0x[0-9a-f]*|[0-9]+)$/i;
const NAME_LABEL = /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/i;
const ZONE = /^[A-Za-z0-9_.-]{1,64}$/;

export function parseHost(raw: string): ParsedHost {
  if (raw.length === 0 || raw.length > 255) return { kind: 'invalid', reason: 'is empty or too long' };
  if (raw.startsWith('[') || raw.endsWith(']')) {
    const inner = /^\[([^[\]]+)\]$/.exec(raw)?.[1];
    const parsed = inner === undefined ? null : parseIPv6(inner);
    return parsed ?? { kind: 'invalid', reason: 'has brackets around something that is not an IPv6 address' };
  }
  if (raw.includes(':')) {
    return parseIPv6(raw) ?? { kind: 'invalid', reason: 'contains ":" but is not an IPv6 address' };
  }
  // One trailing dot is the DNS root: `1.2.3.4.` and `localhost.` mean `1.2.3.4` and `localhost`.
  const labels = (raw.endsWith('.') ? raw.slice(0, -1) : raw).split('.');
  // As in the WHATWG URL parser: a host whose last label is a number can only be an IPv4 address.
  if (NUMBER_LABEL.test(labels.at(-1) ?? '')) {
    const address = parseIPv4Numbers(labels);
    if (address === null) {
      return { kind: 'invalid', reason: 'looks like an IPv4 address but is not a valid one' };
    }
    return { kind: 'address', address, family: 4, zone: null };
  }
  if (!labels.every((label) => NAME_LABEL.test(label))) {
    return { kind: 'invalid', reason: 'is neither an IP address nor a host name' };
  }
  return { kind: 'name', name: raw.toLowerCase() };
}

/**
 * inet_aton: one to four parts, each decimal, octal (leading 0) or hex (0x); the last part fills the
 * remaining bytes (`169.254.43518`, `2852039166`).
 */
function parseIPv4Numbers(labels: string[]): string | null {
  if (labels.length > 4) return null;
  const parts: number[] = [];
  for (const label of labels) {
    const value = parseIPv4Part(label);
    if (value === null) return null;
    parts.push(value);
  }
  const last = parts.pop() as number;
  if (parts.some((part) => part > 255) || last >= 2 ** (8 * (4 - parts.length))) return null;
  const value = parts.reduce((sum, part, i) => sum + part * 2 ** (8 * (3 - i)), 0) + last;
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join('.');
}

function parseIPv4Part(label: string): number | null {
  let digits: string;
  let radix: number;
  if (/^0x/i.test(label)) [digits, radix] = [label.slice(2), 16];
  else if (label.length > 1 && label.startsWith('0')) [digits, radix] = [label.slice(1), 8];
  else [digits, radix] = [label, 10];
  // A bare `0x` is 0 to the URL parser but a name to getaddrinfo: refused as ambiguous.
  const valid = { 16: /^[0-9a-f]+$/i, 8: /^[0-7]+$/, 10: /^[0-9]+$/ }[radix] as RegExp;
  if (!valid.test(digits) || digits.length > 32) return null;
  return parseInt(digits, radix);
}

function parseIPv6(text: string): ParsedHost | null {
  const [address = '', zone, ...rest] = text.split('%');
  if (rest.length > 0 || !isIPv6(address)) return null;
  if (zone !== undefined && !ZONE.test(zone)) return null;
  return { kind: 'address', address: canonicalIPv6(address), family: 6, zone: zone ?? null };
}

/** Lower case, zeros compressed, an embedded IPv4 tail in hex (as the URL parser writes it). */
function canonicalIPv6(address: string): string {
  return new URL(`http://[${address}]/`).hostname.slice(1, -1);
}

/**
 * The IPv4 address an IPv6 one stands for: IPv4-mapped (`::ffff:a.b.c.d`, which a dual-stack socket
 * connects to over IPv4) and NAT64's well-known prefix (`64:ff9b::a.b.c.d`, translated by a gateway).
 */
function embeddedIPv4(address: string): string | null {
  const groups = expandIPv6(address).map((group) => parseInt(group, 16));
  const prefix = groups.slice(0, 6).join(':');
  if (prefix !== '0:0:0:0:0:65535' && prefix !== '100:65435:0:0:0:0') return null;
  const [high, low] = groups.slice(6);
  if (high === undefined || low === undefined) throw new Error(`Not a full IPv6 address: ${address}`);
  return [high >> 8, high & 255, low >> 8, low & 255].join('.');
}

/** The eight groups of a canonical (hex-only) IPv6 address. */
function expandIPv6(address: string): string[] {
  const [head = '', tail] = address.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const zeros = tail === undefined ? [] : Array<string>(8 - left.length - right.length).fill('0');
  return [...left, ...zeros, ...right];
}

/** The address part a host string names, for keys and messages: `[::1]` → `::1`, `0x7f000001` → `127.0.0.1`. */
export function hostKey(host: string): string {
  const parsed = parseHost(host);
  if (parsed.kind === 'address') return parsed.zone ? `${parsed.address}%${parsed.zone}` : parsed.address;
  if (parsed.kind === 'name') return parsed.name;
  return host;
}

interface Rule {
  cidr: string;
  list: BlockList;
}

/** Which addresses Rollout refuses to reach: `SERVER_HOST_DENYLIST`. */
export class HostPolicy {
  private readonly rules: Rule[];

  constructor(readonly cidrs: readonly string[] = DEFAULT_SERVER_HOST_DENYLIST) {
    this.rules = cidrs.map((cidr) => {
      const [network, prefix] = cidr.split('/');
      if (network === undefined || prefix === undefined) throw new Error(`Not a CIDR: ${cidr}`);
      const list = new BlockList();
      list.addSubnet(network, Number(prefix), isIPv4(network) ? 'ipv4' : 'ipv6');
      return { cidr, list };
    });
  }

  /**
   * The denylist entry an address falls in, or null. `address` is a resolver's answer or a parsed literal;
   * anything that is not an address is refused (a reason instead of a CIDR would hide a bug).
   */
  deniedBy(address: string): string | null {
    const parsed = parseHost(address);
    if (parsed.kind !== 'address') throw new Error(`Not an IP address: ${address}`);
    const candidates: Array<[string, 'ipv4' | 'ipv6']> = [
      [parsed.address, parsed.family === 4 ? 'ipv4' : 'ipv6'],
    ];
    const inner = parsed.family === 6 ? embeddedIPv4(parsed.address) : null;
    if (inner !== null) candidates.push([inner, 'ipv4']);
    const rule = this.rules.find(({ list }) =>
      candidates.some(([candidate, family]) => list.check(candidate, family)),
    );
    return rule?.cidr ?? null;
  }
}

/**
 * Why a host may not be registered, or null. A literal address is checked now; a name is only checked
 * once it is resolved, when a connection is made (no DNS at request time).
 */
export function hostRegistrationProblem(host: string, policy: HostPolicy): string | null {
  const parsed = parseHost(host);
  if (parsed.kind === 'invalid') return `host ${parsed.reason}`;
  if (parsed.kind === 'name') return null;
  const rule = policy.deniedBy(parsed.address);
  if (rule === null) return null;
  const spelled = hostKey(host) === host ? '' : ` (${hostKey(host)})`;
  return `host ${host}${spelled} is inside ${DENYLIST_VARIABLE} (${rule})`;
}

/** For a request registering `host`: a 400 naming `host` when it is refused. */
export function assertHostAllowed(host: string, denylist: readonly string[]): void {
  const problem = hostRegistrationProblem(host, new HostPolicy(denylist));
  if (problem !== null) throw new ValidationFailedError([problem]);
}
