import { spawn } from 'node:child_process';
import { Agent, request } from 'node:http';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from 'node:net';
import { SshRemoteExecutor } from '../../src/infra/ssh/ssh-remote-executor';
import { HostKeyPinning } from '../../src/rollout/ports';
import { Fleet, FleetHost, startFleet } from './fleet';
import { alive, listProcesses } from './processes';
import { defined } from '../support/defined';
import { eventually } from '../support/wait';

jest.setTimeout(30_000);

/** The parts of `docker inspect` read here beyond what toMatchObject checks. */
interface InspectedContainer {
  Config: { Env: string[] };
  State: { Pid: number };
}

interface HttpAnswer {
  status: number;
  body: Record<string, string>;
}

function get(url: string, agent?: Agent): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent }, (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Record<string, string> }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

/** Sends one raw GET and reports, after `ms`, whether the connection was accepted and what came back. */
function rawExchange(
  address: string,
  port: number,
  ms: number,
): Promise<{ received: string; closed: boolean }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: address, port });
    let received = '';
    let closed = false;
    socket.on('data', (chunk: Buffer) => (received += chunk.toString('utf8')));
    socket.on('close', () => (closed = true));
    socket.on('error', reject);
    socket.on('connect', () => {
      socket.write(`GET / HTTP/1.1\r\nHost: ${address}:${port}\r\n\r\n`);
      setTimeout(() => {
        resolve({ received, closed });
        socket.destroy();
      }, ms);
    });
  });
}

describe('test fleet: the docker stand-in over real SSH', () => {
  let fleet: Fleet;
  let host: FleetHost;
  // One pooled SSH connection keeps these tests fast; the first test also goes through the OpenSSH client.
  const executor = new SshRemoteExecutor(
    {
      connectTimeoutMs: 5000,
      commandTimeoutMs: 20_000,
      keepaliveIntervalMs: 5000,
      maxChannelsPerConnection: 8,
    },
    new (class extends HostKeyPinning {
      async pin(): Promise<void> {}
    })(),
  );
  const docker = (args: string) =>
    executor.run(fleet.serverTarget(host, 1), { argv: ['sh', '-c', `docker ${args}`] });

  beforeAll(async () => {
    fleet = await startFleet({ count: 2, addressPrefix: '127.0.21.' });
    host = fleet.host(0);
  });
  afterAll(async () => {
    await executor.release();
    await fleet?.stop();
  });

  it('gives each host its address, name, fingerprint and environment', async () => {
    expect(fleet.hosts.map((h) => [h.name, h.address, h.port])).toEqual([
      ['host11', '127.0.21.11', 22],
      ['host12', '127.0.21.12', 22],
    ]);
    expect(host.hostKeyFingerprint).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
    const env = await fleet.ssh(
      fleet.host(1),
      'echo $HOST_ID $HOST_ADDRESS; command -v docker; command -v node',
    );
    expect(env.stdout.split('\n')).toEqual([
      'host12 127.0.21.12',
      expect.stringMatching(/test\/fleet\/bin\/docker$/),
      expect.stringMatching(/\/node$/),
      '',
    ]);
  });

  it('runs a container through its whole lifecycle', async () => {
    expect((await docker('pull ghcr.io/acme/shop:v1')).stdout).toContain(
      'Downloaded newer image for ghcr.io/acme/shop:v1',
    );
    expect((await docker('image inspect --format "{{json .RepoTags}}" ghcr.io/acme/shop:v1')).stdout).toBe(
      '["ghcr.io/acme/shop:v1"]\n',
    );
    const run = await docker(
      "run -d --name shop --restart unless-stopped -p 18080:3000 -e 'GREETING=hi there' --label rollout.app=shop ghcr.io/acme/shop:v1",
    );
    expect(run).toMatchObject({ exitCode: 0, stdout: expect.stringMatching(/^[0-9a-f]{64}\n$/) as string });

    const inspection = JSON.parse(
      (await docker('inspect --type container shop')).stdout,
    ) as InspectedContainer[];
    const inspected = defined(inspection[0], 'the inspected container');
    expect(inspected).toMatchObject({
      Id: run.stdout.trim(),
      Name: '/shop',
      Config: { Image: 'ghcr.io/acme/shop:v1', Labels: { 'rollout.app': 'shop' } },
      State: { Status: 'running', Running: true, ExitCode: 0 },
      HostConfig: { PortBindings: { '3000/tcp': [{ HostIp: '', HostPort: '18080' }] } },
    });
    expect(inspected.Config.Env).toContain('GREETING=hi there');
    expect(inspected.State.Pid).toBeGreaterThan(0);
    expect(JSON.parse((await docker("inspect --format '{{json .}}' shop")).stdout)).toEqual(inspected);
    expect((await docker("ps --format '{{.ID}} {{.Status}}'")).stdout).toMatch(/^[0-9a-f]{12} Up .+\n$/);

    const answer = await eventually(
      () => get('http://127.0.21.11:18080/health'),
      (a) => a.status === 200,
    );
    expect(answer.body).toEqual({ host: 'host11', image: 'ghcr.io/acme/shop', tag: 'v1', name: 'shop' });
    await expect(get('http://127.0.21.12:18080/')).rejects.toThrow('ECONNREFUSED');

    expect(await docker('stop -t 5 shop')).toMatchObject({ exitCode: 0, stdout: 'shop\n' });
    expect(
      (await docker("inspect --format '{{.State.Status}} {{.State.ExitCode}} {{.State.Running}}' shop"))
        .stdout,
    ).toBe('exited 0 false\n');
    expect(await docker('rename shop shop-previous')).toMatchObject({ exitCode: 0 });
    expect(await docker('start shop-previous')).toMatchObject({ exitCode: 0, stdout: 'shop-previous\n' });
    expect((await docker("ps --filter name=^shop --format '{{.Names}} {{.Image}}'")).stdout).toBe(
      'shop-previous ghcr.io/acme/shop:v1\n',
    );
    const refused = await docker('rm shop-previous');
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toContain('cannot remove container "/shop-previous": container is running');
    expect(await docker('rm -f shop-previous')).toMatchObject({ exitCode: 0 });
    expect(await docker('inspect shop-previous')).toEqual({
      exitCode: 1,
      stdout: '[]\n',
      stderr: 'Error: No such object: shop-previous\n',
    });
    expect(await fleet.runningContainers(host)).toEqual([]);
  });

  it('fails like docker for a missing tag, a taken name and a taken port', async () => {
    expect(await docker('pull ghcr.io/acme/shop:v9-missing')).toEqual({
      exitCode: 1,
      stdout: '',
      stderr:
        'Error response from daemon: manifest for ghcr.io/acme/shop:v9-missing not found: manifest unknown: manifest unknown\n',
    });
    expect((await docker('run -d --name nope -p 18081:3000 ghcr.io/acme/shop:missing')).exitCode).toBe(125);

    await docker('run -d --name first -p 18082:3000 ghcr.io/acme/shop:v1');
    const sameName = await docker('run -d --name first -p 18083:3000 ghcr.io/acme/shop:v1');
    expect(sameName.exitCode).toBe(125);
    expect(sameName.stderr).toContain('Conflict. The container name "/first" is already in use');

    const samePort = await docker('run -d --name second -p 18082:3000 ghcr.io/acme/shop:v2');
    expect(samePort.exitCode).toBe(125);
    expect(samePort.stderr).toContain('Bind for 0.0.0.0:18082 failed: port is already allocated');
    expect((await docker("inspect -f '{{.State.Status}}' second")).stdout).toBe('created\n');
    const startTaken = await docker('start second');
    expect(startTaken.exitCode).toBe(1);
    expect(startTaken.stderr).toContain(
      'port is already allocated\nError: failed to start containers: second',
    );

    expect(await docker('stop nosuch')).toMatchObject({
      exitCode: 1,
      stderr: 'Error response from daemon: No such container: nosuch\n',
    });
    expect((await docker('frobnicate')).exitCode).toBe(125);
    expect((await docker('run --frob x')).exitCode).toBe(125);
    await docker('rm -f first second');
  });

  it('chooses behaviour by tag: broken answers 500, crash exits 1', async () => {
    await docker('run -d --name broken -p 18090:3000 ghcr.io/acme/shop:v2-broken');
    await docker('run -d --name crash -p 18091:3000 ghcr.io/acme/shop:v2-crash');
    const answer = await eventually(
      () => get('http://127.0.21.11:18090/'),
      (a) => a.status === 500,
    );
    expect(answer.status).toBe(500);
    const state = await eventually(
      () => docker("inspect -f '{{.State.Status}} {{.State.ExitCode}}' crash"),
      (r) => r.stdout === 'exited 1\n',
    );
    expect(state.stdout).toBe('exited 1\n');
    await docker('rm -f broken crash');
  });

  it('keeps a slow tag closed until it listens', async () => {
    await docker('run -d --name slow -p 18092:3000 ghcr.io/acme/shop:v3-slow1');
    await expect(get('http://127.0.21.11:18092/')).rejects.toThrow('ECONNREFUSED');
    const answer = await eventually(
      () => get('http://127.0.21.11:18092/'),
      (a) => a.status === 200,
    );
    expect(answer.body.tag).toBe('v3-slow1');
    await docker('rm -f slow');
  });

  it('fails a pull like a full disk for a nospace tag, and stores no image', async () => {
    const pull = await docker('pull ghcr.io/acme/shop:v4-nospace');
    expect(pull.exitCode).toBe(1);
    expect(pull.stdout).toMatch(
      /^v4-nospace: Pulling from ghcr\.io\/acme\/shop\n[0-9a-f]{12}: Pulling fs layer\n/,
    );
    expect(pull.stderr).toMatch(
      /^failed to register layer: write \/var\/lib\/docker\/overlay2\/[0-9a-f]{64}\/diff\/\S+: no space left on device\n$/,
    );
    expect(await docker('image inspect ghcr.io/acme/shop:v4-nospace')).toMatchObject({
      exitCode: 1,
      stderr: 'Error: No such image: ghcr.io/acme/shop:v4-nospace\n',
    });
    const run = await docker('run -d --name full -p 18097:3000 ghcr.io/acme/shop:v4-nospace');
    expect(run.exitCode).toBe(125);
    expect(run.stderr).toContain('no space left on device');
    expect(await fleet.runningContainers(host)).toEqual([]);
  });

  it('keeps a hang tag connected and silent, and answers a lateN tag only after N seconds', async () => {
    await docker('run -d --name hang -p 18095:3000 ghcr.io/acme/shop:v5-hang');
    await docker('run -d --name late -p 18096:3000 ghcr.io/acme/shop:v5-late1');
    // Accepted (no ECONNREFUSED once it listens), kept open, never answered.
    const hung = await eventually(
      () => rawExchange('127.0.21.11', 18095, 1500),
      (r) => !(r instanceof Error),
    );
    expect(hung).toEqual({ received: '', closed: false });
    const early = await eventually(
      () => rawExchange('127.0.21.11', 18096, 300),
      (r) => !(r instanceof Error),
    );
    expect(early).toEqual({ received: '', closed: false });
    const started = Date.now();
    const answer = await get('http://127.0.21.11:18096/health');
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect(answer).toEqual({
      status: 200,
      body: { host: 'host11', image: 'ghcr.io/acme/shop', tag: 'v5-late1', name: 'late' },
    });
    await docker('rm -f hang late');
  });

  it('finishes in-flight keep-alive requests on stop, then exits 0', async () => {
    await docker('run -d --name graceful -p 18093:3000 ghcr.io/acme/shop:v1');
    const agent = new Agent({ keepAlive: true });
    await eventually(
      () => get('http://127.0.21.11:18093/', agent),
      (a) => a.status === 200,
    );
    const inFlight = get('http://127.0.21.11:18093/?delayMs=700', agent);
    await new Promise((resolve) => setTimeout(resolve, 150));
    const stop = await docker('stop graceful');
    expect((await inFlight).status).toBe(200);
    expect(stop.exitCode).toBe(0);
    expect((await docker("inspect -f '{{.State.Status}} {{.State.ExitCode}}' graceful")).stdout).toBe(
      'exited 0\n',
    );
    agent.destroy();
    await docker('rm graceful');
  });

  it('kills a container that has not stopped when the stop timeout ends', async () => {
    await docker('run -d --name stubborn -p 18094:3000 ghcr.io/acme/shop:v1');
    await eventually(
      () => get('http://127.0.21.11:18094/'),
      (a) => a.status === 200,
    );
    const pending = get('http://127.0.21.11:18094/?delayMs=10000').catch((err: Error) => err);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const started = Date.now();
    expect(await docker('stop -t 1 stubborn')).toMatchObject({ exitCode: 0, stdout: 'stubborn\n' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect((await docker("inspect -f '{{.State.Status}} {{.State.ExitCode}}' stubborn")).stdout).toBe(
      'exited 137\n',
    );
    expect(await pending).toMatchObject({
      message: expect.stringMatching(/socket hang up|ECONNRESET/) as string,
    });
    await docker('rm stubborn');
  });

  it('keeps its state consistent under parallel commands on one host', async () => {
    const names = Array.from({ length: 8 }, (_, i) => `par${i}`);
    const runs = await Promise.all(
      names.map((name, i) => docker(`run -d --name ${name} -p ${18100 + i}:3000 ghcr.io/acme/shop:v1`)),
    );
    expect(runs.map((r) => r.exitCode)).toEqual(names.map(() => 0));
    const listed = (await fleet.runningContainers(host)).map((c) => c.name).sort();
    expect(listed).toEqual(names);
    await docker(`rm -f ${names.join(' ')}`);
    expect(await fleet.runningContainers(host)).toEqual([]);
  });

  it('logs every command with its start, end and exit status, for the benchmark', async () => {
    const other = fleet.host(1);
    const before = Date.now();
    await fleet.ssh(other, 'docker pull ghcr.io/acme/shop:v9; docker rename nothing-here x');
    const log = await fleet.commandLog(other);
    expect(log.map((entry) => [entry.argv, entry.exit])).toEqual([
      [['pull', 'ghcr.io/acme/shop:v9'], 0],
      [['rename', 'nothing-here', 'x'], 1],
    ]);
    for (const entry of log) {
      expect(entry.start).toBeGreaterThanOrEqual(before);
      expect(entry.end).toBeGreaterThanOrEqual(entry.start);
    }
  });
});

describe('test fleet: holds in the docker stand-in', () => {
  let fleet: Fleet;
  let host: FleetHost;
  const docker = (args: string) => fleet.ssh(host, `docker ${args}`);
  const names = async () =>
    (await docker("ps -a --format '{{.Names}} {{.State}}'")).stdout.split('\n').filter(Boolean).sort();

  beforeAll(async () => {
    fleet = await startFleet({ count: 1, addressPrefix: '127.0.25.' });
    host = fleet.host(0);
  });
  afterAll(async () => {
    await fleet?.stop();
  });

  it('holds the command a hold names until it is released, then finishes it with its normal result', async () => {
    await docker('run -d --name holdme -p 18110:3000 ghcr.io/acme/shop:v1');
    await docker('run -d --name other -p 18111:3000 ghcr.io/acme/shop:v1');
    await fleet.hold(host, 'rename-holdme');
    const outcome: { settled: boolean } = { settled: false };
    const renaming = docker('rename holdme holdme-previous').then((result) => {
      outcome.settled = true;
      return result;
    });
    await fleet.waitHeld(host, 'rename-holdme', 10_000);
    // Precise: the same verb on another container goes through.
    expect(await docker('rename other holdme-2')).toEqual({ exitCode: 0, stdout: '', stderr: '' });
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(outcome.settled).toBe(false);
    expect(await names()).toEqual(['holdme running', 'holdme-2 running']);

    await fleet.release(host, 'rename-holdme');
    expect(await renaming).toEqual({ exitCode: 0, stdout: '', stderr: '' });
    expect(await names()).toEqual(['holdme-2 running', 'holdme-previous running']);
    // Released: the next command of that name is not held.
    expect(await docker('rename holdme-previous holdme')).toMatchObject({ exitCode: 0 });
    // A failing command fails as usual once released.
    await fleet.hold(host, 'stop');
    const stopping = docker('stop nosuch');
    await fleet.waitHeld(host, 'stop', 10_000);
    await fleet.release(host, 'stop');
    expect(await stopping).toEqual({
      exitCode: 1,
      stdout: '',
      stderr: 'Error response from daemon: No such container: nosuch\n',
    });
    await docker('rm -f holdme holdme-2');
  });

  it('finishes a held command whose SSH client was killed, once released', async () => {
    await docker('run -d --name orphan -p 18112:3000 ghcr.io/acme/shop:v1');
    await fleet.hold(host, 'stop-orphan');
    const client = spawn(
      'ssh',
      [
        ...['-i', fleet.privateKeyPath, '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=no'],
        ...['-o', 'UserKnownHostsFile=/dev/null', '-o', 'LogLevel=ERROR', `root@${host.address}`],
        'docker stop -t 1 orphan',
      ],
      { stdio: 'ignore' },
    );
    const exited = new Promise((resolve) => client.once('exit', resolve));
    await fleet.waitHeld(host, 'stop-orphan', 10_000);
    const held = Number(readFileSync(join(host.stateDir, 'held', 'stop-orphan'), 'utf8'));
    client.kill('SIGKILL');
    await exited;
    await new Promise((resolve) => setTimeout(resolve, 300));
    // The remote side keeps waiting: the container still runs.
    expect(alive(held)).toBe(true);
    expect(await names()).toEqual(['orphan running']);

    await fleet.release(host, 'stop-orphan');
    const stopped = await eventually(names, (list) => list[0] === 'orphan exited');
    expect(stopped).toEqual(['orphan exited']);
    await eventually(
      () => Promise.resolve(alive(held)),
      (running) => !running,
    );
    expect(alive(held)).toBe(false);
    await docker('rm orphan');
  });

  it('holds a pull by its tag, and says when nothing was held in time', async () => {
    await fleet.hold(host, 'pull-v7');
    const other = await docker('pull ghcr.io/acme/shop:v8');
    expect(other.stdout).toContain('Downloaded newer image for ghcr.io/acme/shop:v8');
    await expect(fleet.waitHeld(host, 'pull-v7', 200)).rejects.toThrow(
      'no command on host11 was held by "pull-v7" within 200 ms',
    );
    const pulling = docker('pull ghcr.io/acme/shop:v7');
    await fleet.waitHeld(host, 'pull-v7', 10_000);
    expect(await docker('image inspect --format "{{.Id}}" ghcr.io/acme/shop:v7')).toMatchObject({
      exitCode: 1,
    });
    await fleet.release(host, 'pull-v7');
    expect((await pulling).stdout).toContain('Downloaded newer image for ghcr.io/acme/shop:v7');
    await expect(fleet.hold(host, '../escape')).rejects.toThrow('not a hold name: "../escape"');
  });
});

describe('test fleet: teardown', () => {
  it('leaves no sshd or container process and no files behind', async () => {
    const fleet = await startFleet({ count: 1, addressPrefix: '127.0.24.' });
    const host = fleet.host(0);
    await fleet.ssh(
      host,
      'docker run -d --name a -p 18200:3000 img:v1 && docker run -d --name b -p 18201:3000 img:v1',
    );
    const before = listProcesses().filter((p) => p.cmdline.includes(fleet.dir));
    expect(before.length).toBeGreaterThanOrEqual(3);
    await fleet.stop();
    expect(listProcesses().filter((p) => p.cmdline.includes(fleet.dir))).toEqual([]);
    expect(existsSync(fleet.dir)).toBe(false);
  });

  it('releases a command still held when it stops, and leaves nothing behind', async () => {
    const fleet = await startFleet({ count: 1, addressPrefix: '127.0.24.' });
    const host = fleet.host(0);
    await fleet.hold(host, 'run');
    const running = fleet.ssh(host, 'docker run -d --name late -p 18202:3000 img:v1');
    await fleet.waitHeld(host, 'run', 10_000);
    const held = Number(readFileSync(join(host.stateDir, 'held', 'run'), 'utf8'));
    expect(alive(held)).toBe(true);
    await fleet.stop();
    await running;
    expect(alive(held)).toBe(false);
    expect(listProcesses().filter((p) => p.cmdline.includes(fleet.dir))).toEqual([]);
    expect(existsSync(fleet.dir)).toBe(false);
  });

  it('refuses an address prefix that another fleet already uses', async () => {
    const fleet = await startFleet({ count: 1, addressPrefix: '127.0.24.' });
    await expect(startFleet({ count: 1, addressPrefix: '127.0.24.' })).rejects.toThrow(
      '127.0.24.11:22 is not free',
    );
    await fleet.stop();
  });
});
