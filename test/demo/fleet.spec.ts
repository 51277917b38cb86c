import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { usableEd25519Key } from '../support/ssh-keys';
import { type DemoFleet, startDemoFleet } from '../../demo/fleet';
import { SshExecutorOptions, SshRemoteExecutor } from '../../src/infra/ssh/ssh-remote-executor';
import {
  bareImageId,
  type ContainerSpec,
  docker,
  envFilePath,
  parseInspect,
  previousContainerName,
} from '../../src/rollout/commands/docker-commands';
import type { ApplicationSpec, ServerTarget } from '../../src/rollout/domain';
import { ServerOperations } from '../../src/rollout/engine/server-operations';
import { HostKeyPinning, RemoteConnectionError } from '../../src/rollout/ports';

jest.setTimeout(20_000);

// Not the demo's 127.0.0.11+: the demo and the tests may run at the same time.
const FIRST_ADDRESS = '127.0.0.81';
const SLOW_READY_MS = 1500;

class RecordingPinning extends HostKeyPinning {
  readonly pins: Array<[number, string]> = [];
  pin(serverId: number, fingerprint: string): Promise<void> {
    this.pins.push([serverId, fingerprint]);
    return Promise.resolve();
  }
}

const OPTIONS: SshExecutorOptions = {
  connectTimeoutMs: 5000,
  commandTimeoutMs: 10_000,
  keepaliveIntervalMs: 1000,
  maxChannelsPerConnection: 8,
};

function freePort(address: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, address, () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function get(url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(url);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function refused(url: string): Promise<boolean> {
  return fetch(url).then(
    () => false,
    () => true,
  );
}

describe('the demo fleet against the real SSH executor', () => {
  let dataDir: string;
  let fleet: DemoFleet;
  let pinning: RecordingPinning;
  let executor: SshRemoteExecutor;
  const logLines: string[] = [];
  const executors: SshRemoteExecutor[] = [];

  const newExecutor = (withPinning: HostKeyPinning = new RecordingPinning()) => {
    const created = new SshRemoteExecutor(OPTIONS, withPinning);
    executors.push(created);
    return created;
  };
  const target = (index: number, overrides: Partial<ServerTarget> = {}): ServerTarget => {
    const server = fleet.servers[index];
    if (!server) throw new Error(`no server ${index}`);
    return { id: index + 1, ...server, hostKeyFingerprint: server.hostKeyFingerprint, ...overrides };
  };
  const rejection = async (promise: Promise<unknown>): Promise<RemoteConnectionError> => {
    const error = await promise.then(
      () => {
        throw new Error('expected a rejection');
      },
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(RemoteConnectionError);
    return error as RemoteConnectionError;
  };

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'demo-fleet-'));
    fleet = await startDemoFleet({
      count: 3,
      dataDir,
      firstAddress: FIRST_ADDRESS,
      slowReadyMs: SLOW_READY_MS,
      pullDelayMs: 20,
      log: (line) => logLines.push(line),
    });
  });
  beforeEach(() => {
    pinning = new RecordingPinning();
    executor = newExecutor(pinning);
  });
  afterEach(async () => {
    await Promise.all(executors.splice(0).map((e) => e.release()));
  });
  afterAll(async () => {
    await fleet?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('gives each server its own address, an SSH port and an OpenSSH fingerprint', () => {
    expect(fleet.servers.map((s) => [s.name, s.host, s.user])).toEqual([
      ['web-1', '127.0.0.81', 'demo'],
      ['web-2', '127.0.0.82', 'demo'],
      ['web-3', '127.0.0.83', 'demo'],
    ]);
    for (const server of fleet.servers) {
      expect(server.port).toBeGreaterThan(0);
      expect(server.hostKeyFingerprint).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
      expect(server.privateKey).toMatch(/^-----BEGIN OPENSSH PRIVATE KEY-----\n/);
    }
    expect(new Set(fleet.servers.map((s) => s.hostKeyFingerprint)).size).toBe(3);
  });

  it('presents the host key whose fingerprint it reports, as the executor pins it on first use', async () => {
    const result = await executor.run(target(0, { hostKeyFingerprint: null }), { argv: ['echo', 'hi'] });
    expect(result).toEqual({ exitCode: 0, stdout: 'hi\n', stderr: '' });
    expect(pinning.pins).toEqual([[1, fleet.servers[0]?.hostKeyFingerprint]]);

    const pinned = await newExecutor().run(target(1), { argv: ['true'] });
    expect(pinned.exitCode).toBe(0);
    const error = await rejection(
      newExecutor().run(target(1, { hostKeyFingerprint: fleet.servers[0]?.hostKeyFingerprint ?? null }), {
        argv: ['true'],
      }),
    );
    expect(error.message).toMatch(/host key/i);
  });

  it('refuses any other client key and any other user', async () => {
    const otherKey = usableEd25519Key();
    await rejection(newExecutor().run(target(0, { privateKey: otherKey }), { argv: ['true'] }));
    await rejection(newExecutor().run(target(0, { user: 'root' }), { argv: ['true'] }));
    expect(logLines.some((line) => line.startsWith('web-1: refused a key'))).toBe(true);
    expect(logLines.join('\n')).not.toContain('PRIVATE KEY');
  });

  it('runs real shell lines: exit codes, stderr, quoting, stdin and PATH', async () => {
    const server = target(0);
    expect(await executor.run(server, { argv: ['sh', '-c', 'echo out; echo err >&2; exit 3'] })).toEqual({
      exitCode: 3,
      stdout: 'out\n',
      stderr: 'err\n',
    });
    const words = ["it's", 'a b', '$(id)', '*', ''];
    expect((await executor.run(server, { argv: ['printf', '[%s]', ...words] })).stdout).toBe(
      words.map((w) => `[${w}]`).join(''),
    );
    expect(
      (await executor.run(server, { argv: ['sh', '-c', 'cat; echo done'], stdin: 'a\nb\n' })).stdout,
    ).toBe('a\nb\ndone\n');
    // A compound line goes through /bin/sh and the docker shim on its PATH.
    const viaShell = await executor.run(server, {
      argv: ['sh', '-c', 'docker inspect --format "{{.Name}}" nothing || echo "exit $?"'],
    });
    expect(viaShell).toEqual({ exitCode: 0, stdout: 'exit 1\n', stderr: 'Error: No such object: nothing\n' });
    const which = await executor.run(server, { argv: ['sh', '-c', 'command -v docker; pwd'] });
    expect(which.stdout).toBe(`${join(dataDir, 'bin', 'docker')}\n${join(dataDir, 'hosts', 'web-1')}\n`);
  });

  it('runs the engine’s docker commands through a pull, run, inspect, swap, restore and remove cycle', async () => {
    const server = target(0);
    const run = (argvCommand: { argv: string[]; stdin?: string }) => executor.run(server, argvCommand);
    const hostPort = await freePort(FIRST_ADDRESS);
    const spec = (tag: string): ContainerSpec => ({
      name: 'shop',
      image: 'demo/shop',
      tag,
      hostPort,
      containerPort: 3000,
      env: { MODE: 'demo' },
      labels: { 'rollout.application': 'shop', 'rollout.deployment': '7' },
    });
    const url = `http://${FIRST_ADDRESS}:${hostPort}/health`;

    const pulled = await run(docker.pull('demo/shop', 'v1'));
    expect(pulled.exitCode).toBe(0);
    expect(pulled.stdout).toMatch(/Status: Downloaded newer image for demo\/shop:v1\ndemo\/shop:v1\n$/);
    const imageId = await run(docker.imageId('demo/shop', 'v1'));
    expect(imageId).toEqual({
      exitCode: 0,
      stdout: expect.stringMatching(/^sha256:[0-9a-f]{64}\n$/) as string,
      stderr: '',
    });
    const missingImage = await run(docker.imageId('demo/shop', 'v9'));
    expect(missingImage.exitCode).toBe(1);
    expect(missingImage.stderr).toBe('Error: No such image: demo/shop:v9\n');

    const absent = await run(docker.inspectContainer('shop'));
    expect(absent).toEqual({ exitCode: 1, stdout: '', stderr: 'Error: No such container: shop\n' });
    expect(parseInspect(absent)).toBeNull();

    const started = await run(docker.run(spec('v1')));
    expect(started).toEqual({
      exitCode: 0,
      stdout: expect.stringMatching(/^[0-9a-f]{64}\n$/) as string,
      stderr: '',
    });
    expect(parseInspect(await run(docker.inspectContainer('shop')))).toEqual({
      hostPort: expect.any(Number) as number,
      image: 'demo/shop:v1',
      imageId: bareImageId(imageId.stdout),
      running: true,
      status: 'running',
    });
    expect(await get(url)).toEqual({
      status: 200,
      body: { server: 'web-1', container: 'shop', image: 'demo/shop:v1', version: 'v1', status: 'ok' },
    });
    const labels = await run({
      argv: ['docker', 'inspect', '--format', '{{json .Config.Labels}} {{.State.Status}}', 'shop'],
    });
    expect(labels.stdout).toBe('{"rollout.application":"shop","rollout.deployment":"7"} running\n');

    const conflict = await run(docker.run(spec('v1')));
    expect(conflict.exitCode).toBe(125);
    expect(conflict.stderr).toMatch(
      /^docker: Error response from daemon: Conflict\. The container name "\/shop"/,
    );

    // The swap: stop, keep as -previous, run the new version on the same port.
    expect(await run(docker.stop('shop', 10))).toEqual({ exitCode: 0, stdout: 'shop\n', stderr: '' });
    expect(parseInspect(await run(docker.inspectContainer('shop')))).toMatchObject({
      running: false,
      status: 'exited',
    });
    expect(await refused(url)).toBe(true);
    expect(await run(docker.rename('shop', previousContainerName('shop')))).toEqual({
      exitCode: 0,
      stdout: '',
      stderr: '',
    });
    expect(parseInspect(await run(docker.inspectContainer('shop')))).toBeNull();
    const broken = await run(docker.run(spec('v3-broken')));
    expect(broken.exitCode).toBe(0);
    expect(broken.stderr).toContain("Unable to find image 'demo/shop:v3-broken' locally");
    expect(await get(url)).toMatchObject({ status: 500, body: { version: 'v3-broken', status: 'broken' } });
    expect(fleet.containers('web-1')).toEqual([
      { name: 'shop-previous', image: 'demo/shop', tag: 'v1', running: false, hostPort },
      { name: 'shop', image: 'demo/shop', tag: 'v3-broken', running: true, hostPort },
    ]);

    // The restore: remove the new one, rename the previous back, start it.
    expect(await run(docker.remove('shop'))).toEqual({ exitCode: 0, stdout: 'shop\n', stderr: '' });
    expect((await run(docker.rename('shop-previous', 'shop'))).exitCode).toBe(0);
    expect(await run(docker.start('shop'))).toEqual({ exitCode: 0, stdout: 'shop\n', stderr: '' });
    expect(await get(url)).toMatchObject({ status: 200, body: { version: 'v1' } });
    expect(fleet.containers('web-1')).toEqual([
      { name: 'shop', image: 'demo/shop', tag: 'v1', running: true, hostPort },
    ]);

    const renameMissing = await run(docker.rename('nothing', 'other'));
    expect(renameMissing).toEqual({
      exitCode: 1,
      stdout: '',
      stderr: 'Error response from daemon: No such container: nothing\n',
    });
    expect(await run(docker.remove('shop'))).toEqual({ exitCode: 0, stdout: 'shop\n', stderr: '' });
    expect(await run(docker.remove('shop'))).toEqual({ exitCode: 0, stdout: '', stderr: '' });
    expect(await refused(url)).toBe(true);
    expect(fleet.containers('web-1')).toEqual([]);
    expect(logLines).toEqual(
      expect.arrayContaining([
        'web-1  pull demo/shop:v1',
        'web-1  run shop demo/shop:v1',
        'web-1  stop shop',
      ]),
    );
  });

  it('lets the engine’s own server operations check capacity, swap a version, skip a done swap and restore the previous one', async () => {
    const server = target(1);
    const hostPort = await freePort(server.host);
    const application: ApplicationSpec = {
      id: 1,
      name: 'shop',
      image: 'demo/shop',
      tag: 'v1',
      containerPort: 3000,
      hostPort,
      alternateHostPort: hostPort + 1,
      env: {},
      secretEnv: { API_TOKEN: 'never-logged' },
      healthCheckPath: '/health',
      serverIds: [2],
      loadBalancer: { type: 'none' },
      stopTimeout: 10,
      minFreeMemoryMb: 256,
      minFreeDiskMb: 1024,
      dockerDataPath: '/var/lib/docker',
    };
    const operations = new ServerOperations(executor, server, application, 9);
    const url = `http://${server.host}:${hostPort}/health`;

    // The capacity check is answered with the simulated server's figures (macOS has no /proc/meminfo).
    expect(await operations.capacity()).toEqual({
      memoryFreeMb: 2048,
      diskFreeMb: 20480,
      diskPath: '/var/lib/docker',
    });
    await operations.pull('demo/shop', 'v1');
    expect(await operations.swap('demo/shop', 'v1')).toEqual({ previousReference: null, hostPort });
    expect(await get(url)).toMatchObject({ status: 200, body: { version: 'v1', server: 'web-2' } });
    await operations.pull('demo/shop', 'v2');
    expect(await operations.swap('demo/shop', 'v2')).toEqual({ previousReference: 'demo/shop:v1', hostPort });
    // A resumed rollout finds v2 already running and changes nothing.
    expect(await operations.swap('demo/shop', 'v2')).toEqual({ previousReference: 'demo/shop:v1', hostPort });
    expect(fleet.containers('web-2')).toEqual([
      { name: 'shop-previous', image: 'demo/shop', tag: 'v1', running: false, hostPort },
      { name: 'shop', image: 'demo/shop', tag: 'v2', running: true, hostPort },
    ]);
    expect(await get(url)).toMatchObject({ status: 200, body: { version: 'v2' } });

    expect(await operations.restorePrevious('demo/shop', 'v2')).toEqual({ hostPort });
    expect(fleet.containers('web-2')).toEqual([
      { name: 'shop', image: 'demo/shop', tag: 'v1', running: true, hostPort },
    ]);
    expect(await get(url)).toMatchObject({ status: 200, body: { version: 'v1' } });
    expect(logLines.join('\n')).not.toContain('never-logged');
    expect((await executor.run(server, docker.remove('shop'))).exitCode).toBe(0);
  });

  it('reads secret env from the env file the engine writes, and never logs it', async () => {
    const server = target(1);
    const envFile = envFilePath('ab'.repeat(16));
    const hostPort = await freePort(fleet.servers[1]?.host ?? '');
    expect(
      (await executor.run(server, docker.writeEnvFile(envFile, { TOKEN: 's3cr3t value' }))).exitCode,
    ).toBe(0);
    try {
      const started = await executor.run(
        server,
        docker.run({
          name: 'api',
          image: 'demo/api',
          tag: 'v1',
          hostPort,
          containerPort: 3000,
          env: { TOKEN: 'overridden', PLAIN: 'x' },
          labels: {},
          envFile,
        }),
      );
      expect(started.exitCode).toBe(0);
    } finally {
      await executor.run(server, docker.removeEnvFile(envFile));
    }
    const env = await executor.run(server, {
      argv: ['docker', 'inspect', '--format', '{{json .Config.Env}}', 'api'],
    });
    expect(JSON.parse(env.stdout)).toEqual(['TOKEN=overridden', 'PLAIN=x', expect.stringMatching(/^PATH=/)]);
    expect(logLines.join('\n')).not.toContain('s3cr3t');
    expect((await executor.run(server, docker.remove('api'))).exitCode).toBe(0);
  });

  it('answers 503 for a slow tag until it is ready, and a port taken twice is refused', async () => {
    const server = target(2);
    const address = fleet.servers[2]?.host ?? '';
    const hostPort = await freePort(address);
    const spec = { image: 'demo/shop', hostPort, containerPort: 3000, env: {}, labels: {} };
    const startedAt = Date.now();
    expect((await executor.run(server, docker.run({ ...spec, name: 'shop', tag: 'v2-slow' }))).exitCode).toBe(
      0,
    );
    const url = `http://${address}:${hostPort}/`;
    expect(await get(url)).toMatchObject({ status: 503, body: { version: 'v2-slow', status: 'starting' } });

    const taken = await executor.run(server, docker.run({ ...spec, name: 'other', tag: 'v1' }));
    expect(taken.exitCode).toBe(125);
    expect(taken.stderr).toMatch(/Bind for 0\.0\.0\.0:\d+ failed: port is already allocated/);
    expect(fleet.containers('web-3').find((c) => c.name === 'other')?.running).toBe(false);

    let status = 503;
    while (status === 503 && Date.now() - startedAt < SLOW_READY_MS + 3000) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      status = (await get(url)).status;
    }
    expect(status).toBe(200);
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(SLOW_READY_MS);
  });

  it('runs one application port on every server at once (each server has its own address)', async () => {
    const hostPort = await freePort(FIRST_ADDRESS);
    const spec = {
      name: 'web',
      image: 'demo/web',
      tag: 'v1',
      hostPort,
      containerPort: 80,
      env: {},
      labels: {},
    };
    const results = await Promise.all(fleet.servers.map((_, i) => executor.run(target(i), docker.run(spec))));
    expect(results.map((r) => r.exitCode)).toEqual([0, 0, 0]);
    const answers = await Promise.all(fleet.servers.map((s) => get(`http://${s.host}:${hostPort}/`)));
    expect(answers.map((a) => a.body.server)).toEqual(['web-1', 'web-2', 'web-3']);
  });

  it('writes only into its data folder', async () => {
    expect((await readdir(dataDir)).sort()).toEqual(['bin', 'hosts', 'keys']);
  });
});

describe('stopping the demo fleet', () => {
  it('closes SSH and container ports, and a second stop is harmless', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'demo-fleet-stop-'));
    const fleet = await startDemoFleet({ count: 1, dataDir, firstAddress: '127.0.0.91', pullDelayMs: 0 });
    const executor = new SshRemoteExecutor(OPTIONS, new RecordingPinning());
    try {
      const server = { id: 1, ...fleet.servers[0]! };
      const hostPort = await freePort(server.host);
      const spec = {
        name: 'shop',
        image: 'demo/shop',
        tag: 'v1',
        hostPort,
        containerPort: 3000,
        env: {},
        labels: {},
      };
      expect((await executor.run(server, docker.run(spec))).exitCode).toBe(0);
      const url = `http://${server.host}:${hostPort}/`;
      expect((await get(url)).status).toBe(200);
      await executor.release();
      await fleet.stop();
      await fleet.stop();
      expect(await refused(url)).toBe(true);
      await expect(executor.run(server, { argv: ['true'] })).rejects.toBeInstanceOf(RemoteConnectionError);
    } finally {
      await executor.release();
      await fleet.stop();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
