import { lookup as dnsLookup } from 'node:dns/promises';
import { readFile } from 'node:fs/promises';
import { createServer, Server } from 'node:http';
import { connect } from 'node:net';
import { SystemClock } from '../../src/common/clock';
import { HostPolicy } from '../../src/common/network/host-policy';
import { Lookup, ResolvedAddresses } from '../../src/common/network/resolved-addresses';
import { loadConfig } from '../../src/config/app-config';
import { UndiciHealthProbe } from '../../src/infra/health/undici-health-probe';
import { createSshRemoteExecutor, SshRemoteExecutor } from '../../src/infra/ssh/ssh-remote-executor';
import type { ServerTarget } from '../../src/rollout/domain';
import { HostKeyPinning, RemoteConnectionError } from '../../src/rollout/ports';
import { Fleet, FleetHost, startFleet } from './fleet';

jest.setTimeout(30_000);

class NoPinning extends HostKeyPinning {
  async pin(): Promise<void> {}
}

/** The worker's wiring: one config, one ResolvedAddresses shared by the SSH executor and the health probe. */
function worker(denylist: string | undefined, lookup?: Lookup) {
  const config = loadConfig({
    DATABASE_URL: 'postgres://unused/none',
    REDIS_URL: 'redis://unused',
    APP_KEY: '11'.repeat(32),
    SSH_CONNECT_TIMEOUT_MS: '5000',
    ...(denylist === undefined ? {} : { SERVER_HOST_DENYLIST: denylist }),
  });
  const addresses = new ResolvedAddresses(new HostPolicy(config.serverHostDenylist), lookup);
  const executor = createSshRemoteExecutor(config, new NoPinning(), addresses);
  const probe = new UndiciHealthProbe(new SystemClock(), addresses);
  return { config, addresses, executor, probe };
}

/** A resolver for made-up names (nothing reaches DNS), counting its calls; each answer in turn. */
function tableLookup(table: Record<string, string[]>) {
  const calls: string[] = [];
  const lookup: Lookup = (name) => {
    calls.push(name);
    const answers = table[name] ?? [];
    const address = answers.length > 1 ? answers.shift() : answers[0];
    if (address === undefined) {
      return Promise.reject(Object.assign(new Error('not in the table'), { code: 'ENOTFOUND' }));
    }
    return Promise.resolve({ address });
  };
  return { lookup, calls };
}

/** `SSH_CONNECTION` on the host: "client port server-address server-port". */
async function serverAddressSeenBySshd(executor: SshRemoteExecutor, server: ServerTarget): Promise<string> {
  const result = await executor.run(server, { argv: ['sh', '-c', 'echo "$SSH_CONNECTION"'] });
  const address = result.stdout.trim().split(' ')[2];
  if (address === undefined) throw new Error(`SSH_CONNECTION without a server address: ${result.stdout}`);
  return address;
}

async function failure(promise: Promise<unknown>): Promise<RemoteConnectionError> {
  const err = await promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(RemoteConnectionError);
  return err as RemoteConnectionError;
}

/** HTTP servers answering 200 on one port of several addresses, recording where each request arrived. */
async function httpOn(addresses: string[]) {
  const arrivals: Array<{ localAddress: string | undefined; host: string | undefined }> = [];
  const servers: Server[] = [];
  let port = 0;
  for (const address of addresses) {
    const server = createServer((req, res) => {
      arrivals.push({ localAddress: req.socket.localAddress, host: req.headers.host });
      res.end('ok');
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, address, resolve);
    });
    port = (server.address() as { port: number }).port;
    servers.push(server);
  }
  const close = () =>
    Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  return { port, arrivals, close };
}

const PROBE = { intervalMs: 20, deadlineMs: 5000, maxAttempts: 2, requestTimeoutMs: 2000 };

describe('server addresses: SERVER_HOST_DENYLIST and one resolved address per connection', () => {
  let fleet: Fleet;
  let local: Fleet;
  let host11: FleetHost;
  let host12: FleetHost;
  const cleanups: Array<() => Promise<unknown>> = [];

  const sshdLog = (host: FleetHost) => readFile(host.sshdLog, 'utf8');

  beforeAll(async () => {
    fleet = await startFleet({ count: 2, addressPrefix: '127.0.73.' });
    [host11, host12] = [fleet.host(0), fleet.host(1)];
    // `localhost` resolves through /etc/hosts; a host of its own on a port of its own answers there.
    const { address } = await dnsLookup('localhost');
    if (address !== '127.0.0.1')
      throw new Error(`this test needs localhost to resolve to 127.0.0.1, not ${address}`);
    local = await startFleet({ hosts: [{ address: '127.0.0.1', name: 'local73' }], sshPort: 22073 });
  });
  afterEach(async () => {
    await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
  });
  afterAll(async () => {
    await fleet?.stop();
    await local?.stop();
  });

  const track = (w: ReturnType<typeof worker>) => {
    cleanups.push(
      () => w.executor.release(),
      () => w.probe.close(),
    );
    return w;
  };

  it('connects a server registered as localhost through the address the name resolved to, resolved once per connection', async () => {
    const calls: string[] = [];
    const counting: Lookup = (name) => {
      calls.push(name);
      return dnsLookup(name);
    };
    const { executor, addresses } = track(worker(undefined, counting));
    const server = { ...local.serverTarget(local.host(0), 1), host: 'localhost' };

    expect(await serverAddressSeenBySshd(executor, server)).toBe('127.0.0.1');
    await Promise.all([1, 2, 3].map(() => executor.run(server, { argv: ['true'] })));
    expect(calls).toEqual(['localhost']);
    expect(addresses.recorded('localhost')).toBe('127.0.0.1');

    await executor.release(server.id);
    expect(await serverAddressSeenBySshd(executor, server)).toBe('127.0.0.1');
    expect(calls).toEqual(['localhost', 'localhost']);
  });

  it('refuses a server whose name resolves into the denylist, naming the server, the address and the variable', async () => {
    const { executor } = track(worker('127.0.0.0/8'));
    const server = { ...local.serverTarget(local.host(0), 1), host: 'localhost' };
    const before = await sshdLog(local.host(0));
    const err = await failure(executor.run(server, { argv: ['true'] }));
    expect(err.serverName).toBe('local73');
    expect(err.message).toBe(
      'Refused to connect to server local73 (localhost:22073): localhost resolves to 127.0.0.1, ' +
        'which is inside SERVER_HOST_DENYLIST (127.0.0.0/8)',
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await sshdLog(local.host(0))).toBe(before);
  });

  it('with SERVER_HOST_DENYLIST=127.0.73.0/24, refuses a fleet host before any TCP connection reaches sshd', async () => {
    const { executor } = track(worker('127.0.73.0/24'));
    const server = fleet.serverTarget(host11, 11);
    const before = await sshdLog(host11);
    const accepted = await fleet.acceptedConnections(host11);

    const err = await failure(executor.run(server, { argv: ['true'] }));
    expect(err.message).toBe(
      'Refused to connect to server host11 (127.0.73.11:22): 127.0.73.11 is inside SERVER_HOST_DENYLIST (127.0.73.0/24)',
    );
    // Asked again, refused again: a refusal is not cached as a half-open connection.
    expect((await failure(executor.run(server, { argv: ['true'] }))).message).toBe(err.message);
    // An IPv4-mapped spelling of the same address is the same address.
    const mapped = { ...server, host: '::ffff:127.0.73.11' };
    expect((await failure(executor.run(mapped, { argv: ['true'] }))).message).toBe(
      'Refused to connect to server host11 (::ffff:127.0.73.11:22): ::ffff:7f00:490b is inside ' +
        'SERVER_HOST_DENYLIST (127.0.73.0/24)',
    );

    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await fleet.acceptedConnections(host11)).toBe(accepted);
    expect(await sshdLog(host11)).toBe(before);

    // The log does show a bare TCP connection: the check above can fail.
    await new Promise<void>((resolve, reject) => {
      const socket = connect({ host: host11.address, port: host11.port }, () => {
        socket.destroy();
        resolve();
      });
      socket.once('error', reject);
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await sshdLog(host11)).not.toBe(before);
  });

  it('connects the default denylist to the same hosts, and a name through the table resolver', async () => {
    const { lookup, calls } = tableLookup({ 'web.rollout.test': ['127.0.73.12'] });
    const { executor } = track(worker(undefined, lookup));
    const server = { ...fleet.serverTarget(host12, 12), host: 'web.rollout.test' };
    expect(await serverAddressSeenBySshd(executor, server)).toBe('127.0.73.12');
    expect(calls).toEqual(['web.rollout.test']);
  });

  it('reports a name that does not resolve, and names the address a refused connection went to', async () => {
    const { executor } = track(worker(undefined, tableLookup({}).lookup));
    const nowhere = { ...fleet.serverTarget(host11, 11), host: 'nowhere.rollout.test' };
    expect((await failure(executor.run(nowhere, { argv: ['true'] }))).message).toBe(
      'Cannot connect to server host11 (nowhere.rollout.test:22): cannot resolve nowhere.rollout.test (ENOTFOUND)',
    );
    const real = track(worker(undefined));
    const closed = { ...local.serverTarget(local.host(0), 1), host: 'localhost', port: 1 };
    expect((await failure(real.executor.run(closed, { argv: ['true'] }))).message).toBe(
      'SSH connection to server local73 (localhost:1 at 127.0.0.1) refused (ECONNREFUSED)',
    );
  });

  it('never connects a connection released while its host was being resolved', async () => {
    let answer: (address: { address: string }) => void = () => undefined;
    const { executor } = track(worker(undefined, () => new Promise((resolve) => (answer = resolve))));
    const server = { ...fleet.serverTarget(host11, 11), host: 'slow.rollout.test' };
    const before = await sshdLog(host11);
    const running = failure(executor.run(server, { argv: ['true'] }));
    await new Promise((resolve) => setTimeout(resolve, 50));
    const released = Date.now();
    await executor.release();
    expect(Date.now() - released).toBeLessThan(500);
    answer({ address: host11.address });
    expect((await running).message).toBe(
      'SSH connection to server host11 (slow.rollout.test:22) was closed before it was made',
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await sshdLog(host11)).toBe(before);
  });

  it('probes the address the SSH connection resolved, not a fresh answer for the name', async () => {
    // Round-robin DNS: the first answer goes to SSH, a second lookup would give the other address.
    const { lookup, calls } = tableLookup({ 'app.rollout.test': ['127.0.73.11', '127.0.73.12'] });
    const { executor, probe } = track(worker(undefined, lookup));
    const http = await httpOn(['127.0.73.11', '127.0.73.12']);
    cleanups.push(http.close);
    const server = { ...fleet.serverTarget(host11, 11), host: 'app.rollout.test' };

    expect(await serverAddressSeenBySshd(executor, server)).toBe('127.0.73.11');
    const url = `http://app.rollout.test:${http.port}/health`;
    expect(await probe.check({ ...PROBE, url })).toMatchObject({ healthy: true, attempts: 1 });
    expect(await probe.check({ ...PROBE, url })).toMatchObject({ healthy: true, attempts: 1 });
    expect(http.arrivals).toEqual([
      { localAddress: '127.0.73.11', host: `app.rollout.test:${http.port}` },
      { localAddress: '127.0.73.11', host: `app.rollout.test:${http.port}` },
    ]);
    expect(calls).toEqual(['app.rollout.test']);
  });

  it('has the probe refuse a denied address without sending a request', async () => {
    const { probe } = track(
      worker('127.0.73.0/24', tableLookup({ 'app.rollout.test': ['127.0.73.11'] }).lookup),
    );
    const http = await httpOn(['127.0.73.11']);
    cleanups.push(http.close);
    for (const [url, reason] of [
      [
        `http://app.rollout.test:${http.port}/health`,
        'app.rollout.test resolves to 127.0.73.11, which is inside SERVER_HOST_DENYLIST (127.0.73.0/24)',
      ],
      [
        `http://127.0.73.11:${http.port}/health`,
        '127.0.73.11 is inside SERVER_HOST_DENYLIST (127.0.73.0/24)',
      ],
      [`http://2130725131:${http.port}/health`, '127.0.73.11 is inside SERVER_HOST_DENYLIST (127.0.73.0/24)'],
    ] as const) {
      expect(await probe.check({ ...PROBE, url })).toMatchObject({
        healthy: false,
        attempts: 0,
        message: `Health check refused: ${reason}`,
      });
    }
    expect(http.arrivals).toEqual([]);
  });
});
