import { mkdir } from 'node:fs/promises';
import { isIPv4 } from 'node:net';
import { join, resolve } from 'node:path';
import { capacityAnswer } from './capacity';
import { DockerBridge } from './docker-bridge';
import { runDockerCommand } from './docker-cli';
import { fingerprintOf, loadOrCreateKey } from './keys';
import { ContainerRuntime } from './runtime';
import { SshHost } from './ssh-host';

/**
 * The demo's simulated fleet: not part of the product (nothing in `src/` imports it). Each server is a
 * real SSH server on its own loopback address whose `docker` drives a small simulated container runtime,
 * in which every running container is a real HTTP server on that address.
 */
export interface DemoServer {
  /** web-1 … web-N */
  name: string;
  /** Its own loopback address, e.g. 127.0.0.11, 127.0.0.12, … */
  host: string;
  /** Its SSH port on that address. */
  port: number;
  user: string;
  /** The OpenSSH private key the client authenticates with (the same for every server). */
  privateKey: string;
  /** 'SHA256:' + unpadded base64 of sha256(host public key blob), as OpenSSH prints it. */
  hostKeyFingerprint: string;
}

export interface DemoContainer {
  name: string;
  image: string;
  tag: string;
  running: boolean;
  hostPort: number;
}

export interface DemoFleet {
  servers: DemoServer[];
  /** What each server's runtime currently runs: for tests and the live view. */
  containers(serverName: string): DemoContainer[];
  /** Closes SSH servers, container HTTP servers, everything; idempotent. */
  stop(): Promise<void>;
}

export interface DemoFleetOptions {
  /** 8 for the demo. */
  count: number;
  /** A folder the fleet may write into (keys, shim script); nothing outside it. */
  dataDir: string;
  /** Default '127.0.0.11'; servers get consecutive addresses. */
  firstAddress?: string;
  log?: (line: string) => void;
  /** How long a `slow` tag answers 503 after its start (default 5000 ms; shorter in tests). */
  slowReadyMs?: number;
  /** How long a pull takes (default a random 100–300 ms). */
  pullDelayMs?: number;
}

export const DEMO_USER = 'demo';

export async function startDemoFleet(options: DemoFleetOptions): Promise<DemoFleet> {
  const { count, firstAddress = '127.0.0.11', log = () => undefined } = options;
  const addresses = consecutiveAddresses(firstAddress, count);
  const dataDir = resolve(options.dataDir);
  const keysDir = join(dataDir, 'keys');
  await mkdir(keysDir, { recursive: true, mode: 0o700 });
  const clientKey = await loadOrCreateKey(join(keysDir, 'client_ed25519'));
  const pullDelayMs = () => options.pullDelayMs ?? 100 + Math.floor(Math.random() * 200);

  const runtimes = new Map<string, ContainerRuntime>();
  const hosts: SshHost[] = [];
  const docker = (serverName: string, argv: string[], cwd: string) => {
    const runtime = runtimes.get(serverName);
    if (!runtime) {
      return Promise.resolve({
        exitCode: 125,
        stdout: '',
        stderr: `docker: unknown demo server ${serverName}\n`,
      });
    }
    return runDockerCommand(runtime, argv, { cwd, onChange: (summary) => log(`${serverName}  ${summary}`) });
  };
  const bridge = await DockerBridge.start(dataDir, docker);

  let stopping: Promise<void> | null = null;
  const stop = () =>
    (stopping ??= (async () => {
      await Promise.all(hosts.map((host) => host.close()));
      await Promise.all([...runtimes.values()].map((runtime) => runtime.shutdown()));
      await bridge.close();
    })());

  const servers: DemoServer[] = [];
  try {
    for (const [index, address] of addresses.entries()) {
      const name = `web-${index + 1}`;
      const hostKey = await loadOrCreateKey(join(keysDir, `${name}_host_ed25519`));
      const homeDir = join(dataDir, 'hosts', name);
      await mkdir(homeDir, { recursive: true, mode: 0o700 });
      runtimes.set(
        name,
        new ContainerRuntime({
          serverName: name,
          address,
          slowReadyMs: options.slowReadyMs ?? 5000,
          pullDelayMs,
        }),
      );
      const host = await SshHost.start({
        name,
        address,
        user: DEMO_USER,
        hostKey,
        clientKey: clientKey.parsed,
        homeDir,
        binDir: bridge.binDir,
        environment: bridge.environment(name),
        log,
        inProcess: (words, cwd) => {
          if (words[0] === 'docker') return docker(name, words.slice(1), cwd);
          const capacity = capacityAnswer(words);
          return capacity === null ? null : Promise.resolve(capacity);
        },
      });
      hosts.push(host);
      servers.push({
        name,
        host: address,
        port: host.port,
        user: DEMO_USER,
        privateKey: clientKey.privateKey,
        hostKeyFingerprint: fingerprintOf(hostKey.parsed),
      });
    }
  } catch (error) {
    await stop();
    throw error;
  }
  log(`demo fleet: ${count} servers on ${addresses[0]}…${addresses.at(-1)} (ssh user ${DEMO_USER})`);

  return {
    servers,
    containers(serverName) {
      const runtime = runtimes.get(serverName);
      if (!runtime) throw new Error(`No demo server named ${serverName}`);
      return runtime.all().map((c) => ({
        name: c.name,
        image: c.reference.repository,
        tag: c.reference.tag,
        running: c.status === 'running',
        hostPort: c.boundPort ?? c.ports[0]?.hostPort ?? 0,
      }));
    },
    stop,
  };
}

function consecutiveAddresses(first: string, count: number): string[] {
  if (!Number.isInteger(count) || count < 1)
    throw new Error(`count must be a positive integer, not ${count}`);
  const octets = first.split('.').map(Number);
  if (!isIPv4(first) || octets[0] !== 127)
    throw new Error(`firstAddress must be a 127.x.y.z address, not ${first}`);
  const last = octets[3] ?? 0;
  if (last < 1 || last + count - 1 > 254)
    throw new Error(`${count} servers from ${first} would leave ${octets.slice(0, 3).join('.')}.0/24`);
  return Array.from({ length: count }, (_, i) => `${octets.slice(0, 3).join('.')}.${last + i}`);
}
