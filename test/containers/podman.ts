import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { closeSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ExecResult, listProcesses, onExit, run, signal, waitGone } from '../fleet/processes';
import { freePort } from '../support/net';

const PODMAN = '/usr/bin/podman';
const NSENTER = '/usr/bin/nsenter';
const REGISTRY = '/usr/bin/docker-registry';
const BUSYBOX = '/bin/busybox';

/** The port the shop image's busybox httpd listens on inside its container. */
export const SHOP_CONTAINER_PORT = 3000;

/**
 * `/www/index.html` answers `{"tag":…}` (what `servedTag` reads); `/health` answers the tag, or 404 when
 * the image is not `healthy`.
 */
export interface ShopImage {
  tag: string;
  healthy: boolean;
  /** Pushing a tag again with another build gives it new content (`/health` answers `TAG build N`). */
  build?: number;
}

export interface LabContainer {
  id: string;
  name: string;
  image: string;
  /** podman's state: `running`, `exited`, `created`, … */
  state: string;
  labels: Record<string, string>;
}

/** One test host's container runtime: podman on storage of its own, behind its own `docker`. */
export interface PodmanHost {
  name: string;
  /** The network namespace every `docker` of this host runs in (`nsenter --net`), when it has one. */
  netns?: string;
  /** Put first on the host's PATH: it holds only `docker`, podman on this host's storage and the lab's config. */
  binDir: string;
  /** podman's `--root` for this host. */
  graphRoot: string;
  /** Runs the host's `docker` locally, for set-up and assertions (a closure: safe to pass around). */
  docker: (args: string[]) => Promise<ExecResult>;
  /** Every container of the host's storage, running or not, by name. */
  containers: () => Promise<LabContainer[]>;
}

/** A real container runtime for test hosts: podman on storage of their own, and a local registry. */
export interface PodmanLab extends Omit<PodmanHost, 'name' | 'netns' | 'graphRoot'> {
  dir: string;
  /** `ADDRESS:PORT` (`127.0.0.1:PORT` unless `registryAddress` was given) */
  registry: string;
  /** `REGISTRY/acme/shop`, with a tag per ShopImage */
  image: string;
  /** Every host's runtime; `binDir`, `docker` and `containers` of the lab are the first host's. */
  hosts: PodmanHost[];
  /** Builds and pushes images to the registry (again, for a tag that is already there). */
  push(images: ShopImage[]): Promise<void>;
  /** Removes every container of every host, stops the registry, deletes the storage; safe to call twice. */
  stop(): Promise<void>;
}

export interface PodmanLabOptions {
  /** Where the registry listens; every host must reach it there. Default 127.0.0.1. */
  registryAddress?: string;
  /**
   * One storage and `docker` per host (`dir/NAME`, `dir/NAME/bin`), each run in its network namespace when
   * `netns` is given. Default: a single host `host` in the current namespace (`dir/host`, `dir/bin`).
   */
  hosts?: Array<{ name: string; netns?: string }>;
}

/**
 * Podman reads only the files written here (CONTAINERS_CONF, CONTAINERS_REGISTRIES_CONF) and keeps its
 * containers, images and state under `dir`; nothing in /etc is changed. crun fails on this kernel's
 * hybrid cgroups, runc works (FLEET-NOTES).
 */
async function writeConfig(dir: string, registry: string) {
  const storage = (name: string) => {
    const root = join(dir, name);
    return ['--root', join(root, 'root'), '--runroot', join(root, 'run'), '--tmpdir', join(root, 'tmp')];
  };
  const tmp = join(dir, 'tmp');
  await mkdir(tmp, { recursive: true });
  const containersConf = join(dir, 'containers.conf');
  await writeFile(
    containersConf,
    [
      '[containers]',
      'default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]',
      '[engine]',
      'runtime = "runc"',
      'cgroup_manager = "cgroupfs"',
      'events_logger = "file"',
      `image_copy_tmp_dir = "${tmp}"`,
      '[network]',
      `network_config_dir = "${join(dir, 'networks')}"`,
      '',
    ].join('\n'),
  );
  const registriesConf = join(dir, 'registries.conf');
  // No search registries: a short name can never reach a public registry.
  await writeFile(
    registriesConf,
    [
      'unqualified-search-registries = []',
      '[[registry]]',
      `location = "${registry}"`,
      'insecure = true',
      '',
    ].join('\n'),
  );
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    CONTAINERS_CONF: containersConf,
    CONTAINERS_REGISTRIES_CONF: registriesConf,
    TMPDIR: tmp,
  };
  const quote = (value: string) => `'${value}'`;
  /**
   * The Docker CLI of one host. With a namespace, every command enters it (also when run from the root
   * namespace for assertions and clean-up): netavark sets up and tears down its bridge, firewall rules and
   * port forwarding in the namespace podman runs in.
   */
  const writeDocker = async (name: string, binDir: string, netns?: string) => {
    await mkdir(binDir, { recursive: true });
    const enter = netns === undefined ? '' : `${NSENTER} ${quote(`--net=/run/netns/${netns}`)} `;
    await writeFile(
      join(binDir, 'docker'),
      [
        '#!/bin/sh',
        '# The Docker CLI of a test host: podman on the lab storage, never the machine-wide one.',
        `export CONTAINERS_CONF=${quote(containersConf)} CONTAINERS_REGISTRIES_CONF=${quote(registriesConf)} TMPDIR=${quote(tmp)}`,
        `exec ${enter}${PODMAN} ${storage(name).map(quote).join(' ')} "$@"`,
        '',
      ].join('\n'),
    );
    await chmod(join(binDir, 'docker'), 0o755);
  };
  return { env, writeDocker, builderStorage: storage('builder') };
}

async function startRegistry(dir: string, address: string, port: number) {
  const config = join(dir, 'registry.yml');
  await writeFile(
    config,
    [
      'version: 0.1',
      'log:',
      '  level: warn',
      '  accesslog:',
      '    disabled: true',
      'storage:',
      '  filesystem:',
      `    rootdirectory: ${join(dir, 'registry')}`,
      'http:',
      `  addr: ${address}:${port}`,
      '',
    ].join('\n'),
  );
  const log = join(dir, 'registry.log');
  const logFd = openSync(log, 'a');
  const child = spawn(REGISTRY, ['serve', config], { stdio: ['ignore', logFd, logFd] });
  closeSync(logFd);
  // A forgotten lab must not keep the test runner alive; its exit hook still kills the registry.
  child.unref();
  const until = Date.now() + 10_000;
  while (Date.now() < until && child.exitCode === null) {
    const ok = await fetch(`http://${address}:${port}/v2/`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return child;
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill('SIGKILL');
  const output = readFileSync(log, 'utf8').slice(-4000);
  throw new Error(`docker-registry on ${address}:${port} did not start:\n${output}`);
}

/** A busybox root file system (static busybox, relative applet links), shared by every image. */
async function busyboxRootfs(dir: string): Promise<string> {
  const rootfs = join(dir, 'rootfs');
  await mkdir(join(rootfs, 'bin'), { recursive: true });
  await mkdir(join(rootfs, 'www'));
  execFileSync('cp', [BUSYBOX, join(rootfs, 'bin', 'busybox')]);
  const applets = execFileSync(BUSYBOX, ['--list'], { encoding: 'utf8' }).split('\n').filter(Boolean);
  for (const applet of applets) {
    if (applet !== 'busybox') await symlink('busybox', join(rootfs, 'bin', applet));
  }
  return rootfs;
}

/**
 * busybox httpd as PID 1 ignores SIGTERM, so every `docker stop` would wait its whole timeout: the
 * entrypoint is a shell that exits on TERM.
 */
const SHOP_CMD = ['/bin/sh', '-c', `trap 'exit 0' TERM; httpd -f -p ${SHOP_CONTAINER_PORT} -h /www & wait`];

async function pushImages(
  dir: string,
  image: string,
  images: ShopImage[],
  podman: (args: string[]) => Promise<ExecResult>,
) {
  const rootfs = await busyboxRootfs(await mkdtemp(join(dir, 'build-')));
  for (const { tag, healthy, build } of images) {
    await rm(join(rootfs, 'www', 'health'), { force: true });
    await writeFile(join(rootfs, 'www', 'index.html'), `${JSON.stringify({ tag })}\n`);
    if (healthy) {
      await writeFile(
        join(rootfs, 'www', 'health'),
        `${tag}${build === undefined ? '' : ` build ${build}`}\n`,
      );
    }
    const tarball = join(dir, `shop-${tag}.tar`);
    execFileSync('tar', ['-C', rootfs, '-cf', tarball, '.']);
    const reference = `${image}:${tag}`;
    await must(
      podman(['import', '--change', `CMD ${JSON.stringify(SHOP_CMD)}`, tarball, reference]),
      'import',
    );
    await must(podman(['push', '--tls-verify=false', reference]), 'push');
    await rm(tarball);
  }
  await rm(dirname(rootfs), { recursive: true, force: true });
}

async function must(result: Promise<ExecResult>, what: string): Promise<ExecResult> {
  const done = await result;
  if (done.exitCode !== 0) throw new Error(`podman ${what} failed (${done.exitCode}): ${done.stderr}`);
  return done;
}

export async function startPodmanLab(
  images: ShopImage[],
  options: PodmanLabOptions = {},
): Promise<PodmanLab> {
  const { registryAddress = '127.0.0.1' } = options;
  const specs = options.hosts ?? [{ name: 'host' }];
  if (specs.length === 0) throw new Error('a podman lab needs at least one host');
  for (const { name } of specs) {
    if (!/^[a-z][a-z0-9-]*$/.test(name) || ['bin', 'builder', 'networks', 'registry', 'tmp'].includes(name))
      throw new Error(`not a usable lab host name: ${JSON.stringify(name)}`);
  }
  const dir = await mkdtemp(join(tmpdir(), 'rollout-containers-'));
  await chmod(dir, 0o755);
  const registryPort = await freePort(registryAddress);
  const registry = `${registryAddress}:${registryPort}`;
  const image = `${registry}/acme/shop`;
  let registryProcess: ChildProcess | null = null;
  let stopped = false;

  const { env, writeDocker, builderStorage } = await writeConfig(dir, registry);
  const hosts: PodmanHost[] = [];
  for (const { name, netns } of specs) {
    const binDir = options.hosts === undefined ? join(dir, 'bin') : join(dir, name, 'bin');
    await writeDocker(name, binDir, netns);
    const docker = (args: string[]) => run(join(binDir, 'docker'), args, { timeoutMs: 60_000 });
    hosts.push({
      name,
      ...(netns === undefined ? {} : { netns }),
      binDir,
      graphRoot: join(dir, name, 'root'),
      docker,
      containers: () => containersOf(docker),
    });
  }
  const builder = (args: string[]) => run(PODMAN, [...builderStorage, ...args], { env, timeoutMs: 60_000 });
  const [first] = hosts;
  if (first === undefined) throw new Error('a podman lab needs at least one host');

  const cleanUpNow = () => {
    if (stopped) return;
    stopped = true;
    for (const host of hosts) {
      try {
        execFileSync(join(host.binDir, 'docker'), ['rm', '-af', '-t', '0'], {
          stdio: 'ignore',
          timeout: 30_000,
        });
      } catch {
        // Whatever survives is killed below.
      }
    }
    signal(leftoverProcesses(dir, hosts), 'SIGKILL');
    if (registryProcess?.pid !== undefined) signal([registryProcess.pid], 'SIGKILL');
    unmountUnder(dir);
    try {
      execFileSync('rm', ['-rf', dir]);
    } catch {
      // Best effort.
    }
  };
  // First: the containers go before the hosts and networks they run on, which were set up earlier and
  // whose own exit hooks would otherwise run first (a namespace deleted under podman leaves its containers).
  const cancelCleanUp = onExit(cleanUpNow, { first: true });

  const lab: PodmanLab = {
    dir,
    binDir: first.binDir,
    registry,
    image,
    hosts,
    docker: first.docker,
    containers: first.containers,
    async push(images) {
      await pushImages(dir, image, images, builder);
      // The images live only in the registry: the hosts must really pull them.
      await rm(join(dir, 'builder'), { recursive: true, force: true });
    },
    async stop() {
      if (stopped) return;
      cancelCleanUp();
      const failures: string[] = [];
      for (const host of hosts) {
        const removed = await host
          .docker(['rm', '-af', '-t', '0'])
          .catch((error: Error): ExecResult => ({ exitCode: -1, stdout: '', stderr: error.message }));
        if (removed.exitCode !== 0) failures.push(`podman rm -af failed on ${host.name}: ${removed.stderr}`);
      }
      // conmon ends a moment after its container; anything still there after that is a leak.
      const lingering = await waitGone(leftoverProcesses(dir, hosts), 3000);
      const registryPid = registryProcess?.exitCode === null ? registryProcess.pid : undefined;
      if (registryPid !== undefined) {
        signal([registryPid], 'SIGTERM');
        await waitGone([registryPid], 3000);
      }
      cleanUpNow();
      if (lingering.length > 0) failures.push(`processes ${lingering.join(', ')} outlived their containers`);
      if (failures.length > 0) throw new Error(failures.join('; '));
    },
  };

  try {
    registryProcess = await startRegistry(dir, registryAddress, registryPort);
    // The hosts start with empty storage and really pull.
    await lab.push(images);
  } catch (error) {
    await lab.stop();
    throw error;
  }
  return lab;
}

/** Keeps only what assertions compare about containers (name, image, state), in their order. */
export function summary(containers: LabContainer[]) {
  return containers.map(({ name, image, state }) => ({ name, image, state }));
}

async function containersOf(docker: (args: string[]) => Promise<ExecResult>): Promise<LabContainer[]> {
  const result = await must(docker(['ps', '-a', '--format', 'json']), 'ps');
  const rows = JSON.parse(result.stdout || '[]') as Array<{
    Id: string;
    Names: string[];
    Image: string;
    State: string;
    Labels: Record<string, string> | null;
  }>;
  return rows
    .map((row) => {
      const [name] = row.Names;
      if (name === undefined) throw new Error(`podman ps lists container ${row.Id} without a name`);
      return { id: row.Id, name, image: row.Image, state: row.State, labels: row.Labels ?? {} };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * conmon carries the lab's directory on its command line; a container's processes sit in a cgroup named
 * after the container, whose id is a folder of the storage. Normally `rm -af` has ended them all.
 */
function leftoverProcesses(dir: string, hosts: PodmanHost[]): number[] {
  const ids = hosts.flatMap((host) => {
    try {
      return readdirSync(join(host.graphRoot, 'overlay-containers')).filter((id) =>
        /^[0-9a-f]{64}$/.test(id),
      );
    } catch {
      return []; // No container was ever created.
    }
  });
  const inLab = (pid: number, cmdline: string) => {
    if (cmdline.includes('conmon') && cmdline.includes(dir)) return true;
    if (ids.length === 0) return false;
    try {
      const cgroup = readFileSync(`/proc/${pid}/cgroup`, 'utf8');
      return ids.some((id) => cgroup.includes(id));
    } catch {
      return false;
    }
  };
  return listProcesses()
    .filter((p) => inLab(p.pid, p.cmdline))
    .map((p) => p.pid);
}

/** Overlay and shm mounts podman may leave under its storage; `rm -rf` must never walk into them. */
function unmountUnder(dir: string): void {
  let mountinfo = '';
  try {
    mountinfo = readFileSync('/proc/self/mountinfo', 'utf8');
  } catch {
    return;
  }
  const points = mountinfo
    .split('\n')
    .map((line) => line.split(' ')[4])
    .filter((point): point is string => point !== undefined)
    .map((point) =>
      point.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8))),
    )
    .filter((point) => point.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
  for (const point of points) {
    try {
      execFileSync('umount', ['-l', point], { stdio: 'ignore' });
    } catch {
      // Already gone.
    }
  }
}
