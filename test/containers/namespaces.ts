import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readlinkSync, statSync } from 'node:fs';
import { listProcesses, onExit, run, signal, waitGone } from '../fleet/processes';

const IP = ['/usr/sbin/ip', '/sbin/ip', '/usr/bin/ip', '/bin/ip'].find((p) => existsSync(p)) ?? 'ip';

/** One test host's network: a namespace of its own, joined to the root namespace by a veth pair. */
export interface NamespacedHost {
  /** As `ip netns` names it: `/run/netns/NAME`. */
  netns: string;
  /** The host's address, inside its namespace: Rollout's SSH and health checks and HAProxy reach it here. */
  address: string;
  /** The root namespace's end of the pair (`SUBNET.N.1`). */
  peerAddress: string;
  /** The root namespace's end of the pair, by name. */
  link: string;
}

export interface HostNamespaces {
  hosts: NamespacedHost[];
  /**
   * An address of the root namespace that every namespace reaches (the root end of the first pair; the
   * others route just this address through their own pair): where to run what all hosts share, e.g. the
   * registry. The namespaces reach nothing else outside themselves.
   */
  rootAddress: string;
  /** Ends what still runs in the namespaces, deletes them and the veth pairs; throws on a leftover. */
  stop(): Promise<void>;
}

export interface HostNamespacesOptions {
  count: number;
  /** Host N is `SUBNET.N.2/30`, its root peer `SUBNET.N.1`; a private range no interface here uses. */
  subnet?: string;
}

/**
 * Network namespaces for test hosts that must not share the root namespace, e.g. to publish the same
 * port. Host N (from 1): namespace `rollout-ns-PID-N`, veth `rnsPID-N` in the root namespace and `uplink`
 * in the host's, `SUBNET.N.0/30`.
 */
export async function startHostNamespaces(options: HostNamespacesOptions): Promise<HostNamespaces> {
  const { count, subnet = '10.231' } = options;
  const hosts: NamespacedHost[] = Array.from({ length: count }, (_, i) => ({
    netns: `rollout-ns-${process.pid}-${i + 1}`,
    address: `${subnet}.${i + 1}.2`,
    peerAddress: `${subnet}.${i + 1}.1`,
    link: `rns${process.pid}-${i + 1}`,
  }));
  const [first] = hosts;
  if (first === undefined) throw new Error('host namespaces need a count of at least 1');
  const rootAddress = first.peerAddress;
  await assertUnused(subnet, hosts);

  let stopped = false;
  const removeNow = () => {
    if (stopped) return;
    stopped = true;
    const pids = processesIn(hosts).map((p) => p.pid);
    signal(pids, 'SIGKILL');
    for (const host of hosts) removeSync(host);
  };
  const cancelRemoval = onExit(removeNow);

  try {
    for (const host of hosts) {
      await ip(['netns', 'add', host.netns]);
      await ip(['link', 'add', host.link, 'type', 'veth', 'peer', 'name', 'uplink', 'netns', host.netns]);
      await ip(['addr', 'add', `${host.peerAddress}/30`, 'dev', host.link]);
      await ip(['link', 'set', host.link, 'up']);
      await ip(['-n', host.netns, 'addr', 'add', `${host.address}/30`, 'dev', 'uplink']);
      await ip(['-n', host.netns, 'link', 'set', 'uplink', 'up']);
      await ip(['-n', host.netns, 'link', 'set', 'lo', 'up']);
      if (host.peerAddress !== rootAddress) {
        await ip(['-n', host.netns, 'route', 'add', `${rootAddress}/32`, 'via', host.peerAddress]);
      }
    }
  } catch (error) {
    cancelRemoval();
    removeNow();
    throw error;
  }

  return {
    hosts,
    rootAddress,
    async stop() {
      if (stopped) return;
      cancelRemoval();
      // Whatever set up processes in the namespaces (sshd, conmon) should have ended them by now.
      const leftovers = processesIn(hosts);
      const pids = leftovers.map((p) => p.pid);
      signal(pids, 'SIGTERM');
      const survivors = await waitGone(pids, 3000);
      signal(survivors, 'SIGKILL');
      await waitGone(survivors, 2000);
      stopped = true;
      for (const host of hosts) removeSync(host);
      const problems: string[] = [];
      if (leftovers.length > 0) {
        problems.push(
          `processes were still running in the namespaces: ${leftovers.map((p) => `${p.pid} ${p.cmdline}`).join('; ')}`,
        );
      }
      const names = new Set(readdirSafe('/run/netns'));
      const links = (await ip(['-o', 'link', 'show'])).split('\n');
      for (const host of hosts) {
        if (names.has(host.netns)) problems.push(`namespace ${host.netns} is still there`);
        if (links.some((line) => line.includes(` ${host.link}@`) || line.includes(` ${host.link}:`)))
          problems.push(`link ${host.link} is still there`);
      }
      if (problems.length > 0) throw new Error(problems.join('; '));
    },
  };
}

/** A clash with another run (or a leftover) shows up here rather than as traffic to the wrong place. */
async function assertUnused(subnet: string, hosts: NamespacedHost[]): Promise<void> {
  const addresses = await ip(['-o', '-4', 'addr', 'show']);
  const routes = await ip(['-4', 'route', 'show', 'table', 'all']);
  const existing = new Set(readdirSafe('/run/netns'));
  for (const [i, host] of hosts.entries()) {
    const network = new RegExp(`(^|[^0-9.])${`${subnet}.${i + 1}.`.replace(/\./g, '\\.')}`, 'm');
    if (network.test(addresses) || network.test(routes))
      throw new Error(`${subnet}.${i + 1}.0/30 is already in use here (another run, or a leftover?)`);
    if (existing.has(host.netns)) throw new Error(`network namespace ${host.netns} already exists`);
  }
}

/** Processes whose network namespace is one of the hosts' (nsenter'd sshd and its sessions, conmon, …). */
function processesIn(hosts: NamespacedHost[]) {
  const inodes = new Set<string>();
  for (const host of hosts) {
    try {
      inodes.add(`net:[${statSync(`/run/netns/${host.netns}`).ino}]`);
    } catch {
      // Not created (yet), or already deleted.
    }
  }
  if (inodes.size === 0) return [];
  return listProcesses().filter((p) => {
    try {
      return inodes.has(readlinkSync(`/proc/${p.pid}/ns/net`));
    } catch {
      return false;
    }
  });
}

function removeSync(host: NamespacedHost): void {
  for (const args of [
    ['netns', 'delete', host.netns],
    // Deleting the namespace deletes the pair once nothing holds the namespace; this does it at once.
    ['link', 'delete', host.link],
  ]) {
    try {
      execFileSync(IP, args, { stdio: 'ignore' });
    } catch {
      // Not there (never created, or already gone with its peer).
    }
  }
}

function readdirSafe(path: string): string[] {
  try {
    return readdirSync(path);
  } catch {
    return [];
  }
}

async function ip(args: string[]): Promise<string> {
  const result = await run(IP, args);
  if (result.exitCode !== 0)
    throw new Error(`ip ${args.join(' ')} failed (${result.exitCode}): ${result.stderr}`);
  return result.stdout;
}
