import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { ServerTarget } from '../../src/rollout/domain';
import { descendantsOf, ExecResult, listProcesses, onExit, run, signal, waitGone } from './processes';

/** The docker stand-in and the container app; put first on every host's PATH. */
export const FLEET_BIN = join(__dirname, 'bin');
const SYSTEM_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const NFT = ['/usr/sbin/nft', '/sbin/nft'].find((p) => existsSync(p));
const NSENTER = '/usr/bin/nsenter';
const UNSHARE = '/usr/bin/unshare';

export interface FleetOptions {
  /** How many hosts on `addressPrefix`; required unless `hosts` lists them. */
  count?: number;
  /** Hosts are `${addressPrefix}${firstOctet + i}`; give each concurrently running fleet its own prefix. */
  addressPrefix?: string;
  firstOctet?: number;
  sshPort?: number;
  /** Put first on every host's PATH instead of FLEET_BIN; its `docker` is what `fleet.docker` runs. */
  binDir?: string;
  /** The hosts one by one, instead of `count` addresses on `addressPrefix`. */
  hosts?: FleetHostSpec[];
  /**
   * Every host's `/proc/meminfo` is a file of the test's (a copy of the real one at first), bound over
   * /proc/meminfo in a mount namespace of the host's own sshd, so every session reads it: set
   * `MemAvailable` with `fleet.reportMemAvailable`.
   */
  reportedMemory?: boolean;
}

export interface FleetHostSpec {
  /** Where the test process (and Rollout) reaches the host's sshd. */
  address: string;
  /** Default `host${firstOctet + i}`. */
  name?: string;
  /** This host's own `binDir`, instead of the fleet's. */
  binDir?: string;
  /**
   * A network namespace (`/run/netns/NAME`, as `ip netns add` makes it) that the host's sshd, and so every
   * session on it, runs in. Entered with `nsenter --net`, which unlike `ip netns exec` keeps the cgroup
   * mounts podman needs. The address is then not checked for being free: it lives in that namespace.
   */
  netns?: string;
}

export interface FleetHost {
  name: string;
  address: string;
  port: number;
  user: 'root';
  /** As OpenSSH prints it: `SHA256:` and unpadded base64. */
  hostKeyFingerprint: string;
  dir: string;
  /** The docker stand-in's state (FLEET_STATE_DIR). */
  stateDir: string;
  /** With `reportedMemory`: the file the host's sessions read as /proc/meminfo. */
  meminfo?: string;
  sshdLog: string;
  /** The network namespace the host runs in, when it has one of its own. */
  netns?: string;
}

export interface FleetContainer {
  id: string;
  name: string;
  image: string;
  status: string;
}

/** One docker command a host ran (the stand-in's `commands.log`), epoch milliseconds. */
export interface LoggedCommand {
  start: number;
  end: number;
  argv: string[];
  exit: number;
}

export interface Fleet {
  dir: string;
  hosts: FleetHost[];
  /** `hosts[index]`, or an error naming how many hosts there are. */
  host(index: number): FleetHost;
  privateKey: string;
  privateKeyPath: string;
  /** Runs the docker stand-in locally with the host's environment, for assertions and set-up. */
  docker(host: FleetHost, args: string[]): Promise<ExecResult>;
  /** Runs a shell command on the host through the OpenSSH client. */
  ssh(host: FleetHost, command: string): Promise<ExecResult>;
  runningContainers(host: FleetHost): Promise<FleetContainer[]>;
  /** Every docker command the host ran so far, in the order they ended. */
  commandLog(host: FleetHost): Promise<LoggedCommand[]>;
  /** The host as Rollout addresses it; `pinned: false` leaves the fingerprint to trust on first use. */
  serverTarget(host: FleetHost, id: number, options?: { pinned?: boolean }): ServerTarget;
  /** How many SSH connections the host has authenticated so far (from its sshd log). */
  acceptedConnections(host: FleetHost): Promise<number>;
  /** Packets to the host's SSH port go unanswered until `restore` (nft, or a frozen sshd when nft is missing). */
  takeDark(host: FleetHost): Promise<void>;
  /** With `reportedMemory`: the host's sessions read `MemAvailable: <megabytes × 1024> kB` from now on. */
  reportMemAvailable(host: FleetHost, megabytes: number): Promise<void>;
  restore(host: FleetHost): Promise<void>;
  /**
   * The host's docker stand-in holds every command `name` matches before doing anything, until `release`:
   * `name` is a verb (`pull`, `run`, `start`, `stop`, `rm`, `rename`, `inspect`, `image-inspect`) or
   * `<verb>-<target>` (the container name, for `pull` the tag): `rename-shop-previous` holds
   * `docker rename shop-previous …` only. A held command goes on after `release` even when its SSH
   * client is gone (as the Docker daemon finishes a request whose client died).
   */
  hold(host: FleetHost, name: string): Promise<void>;
  /** Resolves once a command on the host is held by `name` (since `hold`); throws after `timeoutMs`. */
  waitHeld(host: FleetHost, name: string, timeoutMs?: number): Promise<void>;
  /** Lets the commands held by `name` go on; later ones are no longer held. */
  release(host: FleetHost, name: string): Promise<void>;
  /** Releases every hold, waits for the held commands to finish, then stops everything. */
  stop(): Promise<void>;
}

const HOLD_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

function holdName(name: string): string {
  if (!HOLD_NAME.test(name)) throw new Error(`not a hold name: ${JSON.stringify(name)}`);
  return name;
}

interface HostProcess {
  host: FleetHost;
  config: string;
  child: ChildProcess;
  dark: boolean;
  binDir: string;
}

export async function startFleet(options: FleetOptions): Promise<Fleet> {
  const { count, addressPrefix = '127.0.10.', firstOctet = 11, sshPort = 22, binDir = FLEET_BIN } = options;
  if (options.hosts === undefined && count === undefined) throw new Error('startFleet needs count or hosts');
  const specs: FleetHostSpec[] =
    options.hosts ??
    Array.from({ length: count ?? 0 }, (_, i) => ({ address: `${addressPrefix}${firstOctet + i}` }));
  const addresses = specs.map((spec) => spec.address);
  for (const spec of specs) if (spec.netns === undefined) await assertPortFree(spec.address, sshPort);

  const dir = await mkdtemp(join(tmpdir(), 'rollout-fleet-'));
  await mkdir('/run/sshd', { recursive: true });
  const privateKeyPath = join(dir, 'id_ed25519');
  await sshKeygen(['-t', 'ed25519', '-N', '', '-q', '-C', 'rollout-fleet', '-f', privateKeyPath]);
  const privateKey = await readFile(privateKeyPath, 'utf8');
  const authorizedKeys = join(dir, 'authorized_keys');
  await writeFile(authorizedKeys, await readFile(`${privateKeyPath}.pub`, 'utf8'));
  const pathOf = (bin: string) => [bin, dirname(process.execPath), SYSTEM_PATH].join(':');

  const processes: HostProcess[] = [];
  const fleet = createFleet(dir, processes, privateKey, privateKeyPath, pathOf, binDir);
  const cancelEmergencyStop = onExit(() => killEverything(dir, processes));
  try {
    await Promise.all(
      specs.map(async (spec, i) => {
        const name = spec.name ?? `host${firstOctet + i}`;
        const hostBinDir = spec.binDir ?? binDir;
        processes.push(
          await startHost({
            dir,
            name,
            address: spec.address,
            sshPort,
            authorizedKeys,
            binDir: hostBinDir,
            path: pathOf(hostBinDir),
            netns: spec.netns,
            reportedMemory: options.reportedMemory === true,
          }),
        );
      }),
    );
    processes.sort((a, b) => addresses.indexOf(a.host.address) - addresses.indexOf(b.host.address));
    fleet.hosts.push(...processes.map((p) => p.host));
  } catch (err) {
    await fleet.stop();
    throw err;
  }
  const stop = fleet.stop.bind(fleet);
  fleet.stop = async () => {
    cancelEmergencyStop();
    await stop();
  };
  return fleet;
}

function createFleet(
  dir: string,
  processes: HostProcess[],
  privateKey: string,
  privateKeyPath: string,
  pathOf: (binDir: string) => string,
  fleetBinDir: string,
): Fleet {
  const binDirOf = (host: FleetHost) =>
    processes.find((p) => p.host.name === host.name)?.binDir ?? fleetBinDir;
  const hostEnv = (host: FleetHost): NodeJS.ProcessEnv => ({
    PATH: pathOf(binDirOf(host)),
    HOME: host.dir,
    HOST_ID: host.name,
    HOST_ADDRESS: host.address,
    FLEET_STATE_DIR: host.stateDir,
  });
  const processOf = (host: FleetHost): HostProcess => {
    const found = processes.find((p) => p.host.name === host.name);
    if (!found) throw new Error(`${host.name} is not part of this fleet`);
    return found;
  };
  const fleet: Fleet = {
    dir,
    hosts: [],
    host(index) {
      const host = fleet.hosts[index];
      if (host === undefined)
        throw new Error(`the fleet has ${fleet.hosts.length} hosts, none at index ${index}`);
      return host;
    },
    privateKey,
    privateKeyPath,
    docker: (host, args) =>
      binDirOf(host) === FLEET_BIN
        ? run(process.execPath, ['--', join(FLEET_BIN, 'docker'), ...args], { env: hostEnv(host) })
        : run(join(binDirOf(host), 'docker'), args, { env: hostEnv(host) }),
    ssh: (host, command) =>
      run('ssh', [
        ...['-i', privateKeyPath, '-p', String(host.port), '-o', 'BatchMode=yes'],
        ...['-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'LogLevel=ERROR'],
        `root@${host.address}`,
        command,
      ]),
    async runningContainers(host) {
      const result = await fleet.docker(host, ['ps', '--format', '{{json .}}']);
      if (result.exitCode !== 0) throw new Error(`docker ps failed on ${host.name}: ${result.stderr}`);
      return result.stdout
        .split('\n')
        .filter(Boolean)
        .map((line) => {
          const row = JSON.parse(line) as { ID: string; Names: string; Image: string; Status: string };
          return { id: row.ID, name: row.Names, image: row.Image, status: row.Status };
        });
    },
    async commandLog(host) {
      const text = await readFile(join(processOf(host).host.stateDir, 'commands.log'), 'utf8').catch(
        (error: NodeJS.ErrnoException) => {
          if (error.code === 'ENOENT') return '';
          throw error;
        },
      );
      return text
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as LoggedCommand);
    },
    serverTarget: (host, id, { pinned = true } = {}) => ({
      id,
      name: host.name,
      host: host.address,
      port: host.port,
      user: host.user,
      privateKey,
      hostKeyFingerprint: pinned ? host.hostKeyFingerprint : null,
    }),
    async acceptedConnections(host) {
      const log = await readFile(host.sshdLog, 'utf8').catch(() => '');
      return log.split('\n').filter((line) => line.includes('Accepted publickey')).length;
    },
    async takeDark(host) {
      const p = processOf(host);
      if (p.dark) return;
      p.dark = true;
      if (NFT) {
        const table = nftTable(host);
        await nft(['add', 'table', 'inet', table]);
        await nft(['add', 'chain', 'inet', table, 'out', '{ type filter hook output priority 0; }']);
        await nft([
          'add',
          'rule',
          'inet',
          table,
          'out',
          'ip',
          'daddr',
          host.address,
          'tcp',
          'dport',
          String(host.port),
          'drop',
        ]);
      } else {
        // Without nft: a stopped sshd still completes TCP handshakes in the kernel but never answers.
        signal(sshdProcesses(p), 'SIGSTOP');
      }
    },
    async reportMemAvailable(host, megabytes) {
      if (host.meminfo === undefined) throw new Error(`${host.name} was started without reportedMemory`);
      const real = await readFile('/proc/meminfo', 'utf8');
      const line = `MemAvailable:   ${Math.round(megabytes * 1024)} kB`;
      // Rewritten in place: the bind mount holds this inode.
      await writeFile(host.meminfo, real.replace(/^MemAvailable:.*$/m, line));
    },
    async restore(host) {
      const p = processOf(host);
      if (!p.dark) return;
      p.dark = false;
      if (NFT) await nft(['delete', 'table', 'inet', nftTable(host)]);
      else signal(sshdProcesses(p), 'SIGCONT');
    },
    async hold(host, name) {
      const stateDir = processOf(host).host.stateDir;
      await mkdir(join(stateDir, 'holds'), { recursive: true });
      // A marker left by an earlier hold of the same name must not answer `waitHeld` for this one.
      await rm(join(stateDir, 'held', holdName(name)), { force: true });
      await writeFile(join(stateDir, 'holds', name), '');
    },
    async waitHeld(host, name, timeoutMs = 30_000) {
      const marker = join(processOf(host).host.stateDir, 'held', holdName(name));
      const until = Date.now() + timeoutMs;
      while (!existsSync(marker)) {
        if (Date.now() >= until)
          throw new Error(`no command on ${host.name} was held by "${name}" within ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    async release(host, name) {
      await rm(join(processOf(host).host.stateDir, 'holds', holdName(name)), { force: true });
    },
    async stop() {
      // Held commands finish first (they may start a container), or they would outlive the fleet's files.
      const held = await releaseEveryHold(processes.map((p) => p.host));
      signal(await waitGone(held, 5000), 'SIGKILL');
      for (const p of processes) if (p.dark) await fleet.restore(p.host).catch(() => undefined);
      const sshd = processes.flatMap((p) => sshdProcesses(p));
      signal(sshd, 'SIGTERM');
      const containers = containerProcesses(dir);
      signal(containers, 'SIGKILL');
      const survivors = await waitGone([...sshd, ...containers], 3000);
      signal(survivors, 'SIGKILL');
      await waitGone(survivors, 2000);
      await rm(dir, { recursive: true, force: true });
    },
  };
  return fleet;
}

async function startHost(args: {
  dir: string;
  name: string;
  address: string;
  sshPort: number;
  authorizedKeys: string;
  binDir: string;
  path: string;
  netns?: string;
  reportedMemory: boolean;
}): Promise<HostProcess> {
  const { dir: fleetDir, name, address, sshPort, authorizedKeys, binDir, path, netns, reportedMemory } = args;
  const dir = join(fleetDir, name);
  const stateDir = join(dir, 'docker');
  await mkdir(stateDir, { recursive: true });
  await chmod(dir, 0o755);
  const hostKey = join(dir, 'ssh_host_ed25519_key');
  await sshKeygen(['-t', 'ed25519', '-N', '', '-q', '-C', name, '-f', hostKey]);
  const fingerprint = (await sshKeygen(['-lf', `${hostKey}.pub`])).split(' ')[1];
  if (fingerprint === undefined) throw new Error(`ssh-keygen printed no fingerprint for ${hostKey}.pub`);
  const config = join(dir, 'sshd_config');
  const sshdLog = join(dir, 'sshd.log');
  await writeFile(
    config,
    [
      `ListenAddress ${address}:${sshPort}`,
      `HostKey ${hostKey}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${authorizedKeys}`,
      'StrictModes no',
      'UsePAM no',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'PubkeyAuthentication yes',
      'PermitRootLogin prohibit-password',
      'UseDNS no',
      'MaxStartups 200:30:400',
      'MaxSessions 100',
      'LogLevel INFO',
      `SetEnv PATH=${path} HOME=${dir} HOST_ID=${name} HOST_ADDRESS=${address} FLEET_STATE_DIR=${stateDir}`,
      '',
    ].join('\n'),
  );
  const sshd = ['/usr/sbin/sshd', '-D', '-f', config, '-E', sshdLog] as const;
  // nsenter execs sshd: the child's pid is sshd's, whatever the namespace.
  const inNetns: string[] = netns === undefined ? [...sshd] : [NSENTER, `--net=/run/netns/${netns}`, ...sshd];
  const meminfo = reportedMemory ? join(dir, 'meminfo') : undefined;
  if (meminfo !== undefined) await writeFile(meminfo, await readFile('/proc/meminfo', 'utf8'));
  // unshare and sh exec in turn too: the bind mount is seen only by this host's sshd and its sessions.
  const [file = sshd[0], ...argv] =
    meminfo === undefined
      ? inNetns
      : [
          UNSHARE,
          '--mount',
          '--propagation',
          'private',
          '--',
          '/bin/sh',
          '-c',
          'mount --bind "$0" /proc/meminfo && exec "$@"',
          meminfo,
          ...inNetns,
        ];
  const child = spawn(file, argv, { stdio: 'ignore' });
  // A forgotten fleet must not keep the test runner alive; the exit hook still kills it.
  child.unref();
  const host: FleetHost = {
    name,
    address,
    port: sshPort,
    user: 'root',
    hostKeyFingerprint: fingerprint,
    dir,
    stateDir,
    sshdLog,
    ...(netns === undefined ? {} : { netns }),
    ...(meminfo === undefined ? {} : { meminfo }),
  };
  const hostProcess = { host, config, child, dark: false, binDir };
  await waitForBanner(hostProcess);
  return hostProcess;
}

async function waitForBanner({ host, child }: HostProcess): Promise<void> {
  const until = Date.now() + 10_000;
  while (Date.now() < until) {
    if (child.exitCode !== null || child.signalCode !== null) break;
    if (await answersSsh(host.address, host.port)) return;
    await new Promise((resolve) => setTimeout(resolve, 30));
  }
  const log = await readFile(host.sshdLog, 'utf8').catch(() => '');
  child.kill('SIGKILL');
  throw new Error(`sshd for ${host.name} (${host.address}:${host.port}) did not start:\n${log}`);
}

function answersSsh(address: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: address, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('error', () => done(false));
    socket.once('data', (data) => done(data.toString('latin1').startsWith('SSH-2.0-')));
  });
}

function assertPortFree(address: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', (err) =>
      reject(
        new Error(
          `${address}:${port} is not free (${err.message}); is another fleet using this address prefix?`,
        ),
      ),
    );
    server.listen({ host: address, port, exclusive: true }, () => server.close(() => resolve()));
  });
}

async function sshKeygen(args: string[]): Promise<string> {
  const result = await run('ssh-keygen', args);
  if (result.exitCode !== 0) throw new Error(`ssh-keygen ${args.join(' ')} failed: ${result.stderr}`);
  return result.stdout;
}

function nftTable(host: FleetHost): string {
  return `rollout_fleet_${host.address.replace(/\./g, '_')}_${host.port}`;
}

async function nft(args: string[]): Promise<void> {
  const result = await run(NFT as string, args);
  if (result.exitCode !== 0) throw new Error(`nft ${args.join(' ')} failed: ${result.stderr}`);
}

/** The listening sshd and its per-connection children (which leave its process group). */
function sshdProcesses({ child }: HostProcess): number[] {
  if (child.pid === undefined || child.exitCode !== null) return [];
  return [child.pid, ...descendantsOf(child.pid)];
}

/** Container processes carry their state dir, inside the fleet dir, on their command line. */
function containerProcesses(dir: string): number[] {
  return listProcesses()
    .filter((p) => p.cmdline.includes('container-app.js') && p.cmdline.includes(dir))
    .map((p) => p.pid);
}

/** Removes every host's hold files; returns the pids of the commands that were held. */
async function releaseEveryHold(hosts: FleetHost[]): Promise<number[]> {
  const pids: number[] = [];
  for (const host of hosts) {
    await rm(join(host.stateDir, 'holds'), { recursive: true, force: true });
    const heldDir = join(host.stateDir, 'held');
    for (const name of await readdir(heldDir).catch(() => [] as string[])) {
      const pid = Number((await readFile(join(heldDir, name), 'utf8').catch(() => '')).trim());
      if (Number.isInteger(pid) && pid > 0 && (await isStandInOf(pid, host))) pids.push(pid);
    }
  }
  return pids;
}

/** Whether `pid` is still a docker stand-in of this host (and not a process that reused the pid). */
async function isStandInOf(pid: number, host: FleetHost): Promise<boolean> {
  const [cmdline, environ] = await Promise.all(
    [`/proc/${pid}/cmdline`, `/proc/${pid}/environ`].map((f) => readFile(f, 'utf8').catch(() => '')),
  );
  return (
    (cmdline ?? '').split('\0').some((arg) => arg.endsWith('/docker')) &&
    (environ ?? '').split('\0').includes(`FLEET_STATE_DIR=${host.stateDir}`)
  );
}

function killEverything(dir: string, processes: HostProcess[]): void {
  signal([...processes.flatMap((p) => sshdProcesses(p)), ...containerProcesses(dir)], 'SIGKILL');
  try {
    execFileSync('rm', ['-rf', dir]);
  } catch {
    // Best effort while the process exits.
  }
}
