import { lookup as dnsLookup } from 'node:dns/promises';
import { DENYLIST_VARIABLE, hostKey, HostPolicy, parseHost } from './host-policy';

/** One answer of the resolver (`dns.promises.lookup` by default; tests inject a table). */
export type Lookup = (name: string) => Promise<{ address: string }>;

/** A host whose address is inside the denylist; nothing was sent to it. */
export class DeniedAddressError extends Error {
  constructor(
    readonly host: string,
    readonly address: string,
    readonly rule: string,
  ) {
    const what = hostKey(host) === address ? address : `${host} resolves to ${address}, which`;
    super(`${what} is inside ${DENYLIST_VARIABLE} (${rule})`);
    this.name = 'DeniedAddressError';
  }
}

/** A host that is not a valid address or name, or that the resolver could not resolve. */
export class HostResolutionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HostResolutionError';
  }
}

/**
 * The address each server host name currently stands for, shared by the SSH executor and the health
 * probe so both reach the same machine: SSH resolves once per new connection and records the answer;
 * the probe uses the recorded one (resolving once itself when SSH has not yet). Every address is checked
 * against the denylist before it is recorded or used.
 */
export class ResolvedAddresses {
  private readonly current = new Map<string, string>();
  private readonly pending = new Map<string, Promise<string>>();

  constructor(
    readonly policy: HostPolicy,
    private readonly lookup: Lookup = (name) => dnsLookup(name),
  ) {}

  /** From `AppConfig.serverHostDenylist`, with the system resolver. */
  static forDenylist(cidrs: readonly string[]): ResolvedAddresses {
    return new ResolvedAddresses(new HostPolicy(cidrs));
  }

  /** Resolves `host` afresh (for a new connection), checks the answer, records it and returns it. */
  async resolve(host: string): Promise<string> {
    const key = hostKey(host);
    try {
      const address = await this.lookupOnce(host);
      this.check(host, address);
      this.current.set(key, address);
      return address;
    } catch (err) {
      this.current.delete(key);
      throw err;
    }
  }

  /** The address recorded for `host` (checked again), or one resolved now and recorded. */
  async recordedOrResolve(host: string): Promise<string> {
    const key = hostKey(host);
    const known = this.current.get(key);
    if (known !== undefined) {
      this.check(host, known);
      return known;
    }
    let pending = this.pending.get(key);
    if (pending === undefined) {
      pending = this.resolve(host).finally(() => this.pending.delete(key));
      this.pending.set(key, pending);
    }
    return pending;
  }

  /** The address last recorded for `host`, if any. */
  recorded(host: string): string | undefined {
    return this.current.get(hostKey(host));
  }

  private async lookupOnce(host: string): Promise<string> {
    const parsed = parseHost(host);
    if (parsed.kind === 'invalid') throw new HostResolutionError(`host ${host} ${parsed.reason}`);
    if (parsed.kind === 'address') return hostKey(host);
    let answer: { address: string };
    try {
      answer = await this.lookup(parsed.name);
    } catch (err) {
      const code = (err as { code?: string }).code ?? (err as Error).message;
      throw new HostResolutionError(`cannot resolve ${host} (${code})`);
    }
    if (parseHost(answer.address).kind !== 'address') {
      throw new HostResolutionError(`the resolver answered ${host} with "${answer.address}"`);
    }
    return hostKey(answer.address);
  }

  private check(host: string, address: string): void {
    const rule = this.policy.deniedBy(address);
    if (rule !== null) throw new DeniedAddressError(host, address, rule);
  }
}
