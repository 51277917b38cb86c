import { createServer } from 'node:http';
import { AddressInfo } from 'node:net';
import { RecordingClock } from '../../../test/fakes/recording-clock';
import { HostPolicy } from '../../common/network/host-policy';
import { ResolvedAddresses } from '../../common/network/resolved-addresses';
import { UndiciHealthProbe } from './undici-health-probe';

const spec = { intervalMs: 20, deadlineMs: 10_000, maxAttempts: 5, requestTimeoutMs: 2000 };

describe('UndiciHealthProbe addresses', () => {
  const probes: UndiciHealthProbe[] = [];
  afterEach(async () => {
    await Promise.all(probes.splice(0).map((p) => p.close()));
  });

  /** Answers 200 on `address:port` and records the Host header and the local address of each request. */
  async function listen(address: string, port = 0) {
    const seen: Array<{ host: string | undefined; localAddress: string | undefined }> = [];
    const server = createServer((req, res) => {
      seen.push({ host: req.headers.host, localAddress: req.socket.localAddress });
      res.end('ok');
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, address, resolve);
    });
    closers.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    return { port: (server.address() as AddressInfo).port, seen };
  }
  const closers: Array<() => Promise<void>> = [];
  afterEach(async () => {
    await Promise.all(closers.splice(0).map((close) => close()));
  });

  /** A resolver table for made-up names; each answer in turn, the last one repeating. */
  function resolver(policy: HostPolicy, table: Record<string, string[]>) {
    const calls: string[] = [];
    const addresses = new ResolvedAddresses(policy, (name) => {
      calls.push(name);
      const answers = table[name] ?? [];
      const address = answers.length > 1 ? answers.shift() : answers[0];
      if (address === undefined) {
        return Promise.reject(Object.assign(new Error('not in the table'), { code: 'ENOTFOUND' }));
      }
      return Promise.resolve({ address });
    });
    return { addresses, calls };
  }
  const withAddresses = (addresses: ResolvedAddresses) => {
    const p = new UndiciHealthProbe(new RecordingClock(), addresses);
    probes.push(p);
    return p;
  };

  it('probes the address the SSH connection resolved, with the name in the Host header', async () => {
    const first = await listen('127.0.73.21');
    const second = await listen('127.0.73.22', first.port);
    const { addresses, calls } = resolver(new HostPolicy(), { 'app.test': ['127.0.73.21', '127.0.73.22'] });
    const check = () =>
      withAddresses(addresses).check({
        ...spec,
        maxAttempts: 1,
        url: `http://app.test:${first.port}/health`,
      });

    await addresses.resolve('app.test'); // as a new SSH connection does
    expect(await check()).toMatchObject({ healthy: true, attempts: 1 });
    expect(await check()).toMatchObject({ healthy: true, attempts: 1 });
    expect(first.seen).toEqual([
      { host: `app.test:${first.port}`, localAddress: '127.0.73.21' },
      { host: `app.test:${first.port}`, localAddress: '127.0.73.21' },
    ]);
    expect(second.seen).toEqual([]);

    await addresses.resolve('app.test'); // the next SSH connection got another answer
    expect(await check()).toMatchObject({ healthy: true });
    expect(second.seen).toEqual([{ host: `app.test:${first.port}`, localAddress: '127.0.73.22' }]);
    expect(calls).toEqual(['app.test', 'app.test']);
  });

  it('resolves once itself when no connection did, and records the answer', async () => {
    const target = await listen('127.0.73.21');
    const { addresses, calls } = resolver(new HostPolicy(), { 'app.test': ['127.0.73.21', '127.0.73.22'] });
    const probe = withAddresses(addresses);
    const url = `http://app.test:${target.port}/`;
    expect(await probe.check({ ...spec, url })).toMatchObject({ healthy: true });
    expect(await probe.check({ ...spec, url })).toMatchObject({ healthy: true });
    expect(calls).toEqual(['app.test']);
    expect(addresses.recorded('app.test')).toBe('127.0.73.21');
    expect(target.seen).toHaveLength(2);
  });

  it('refuses a name that resolves into the denylist without sending anything', async () => {
    const target = await listen('127.0.73.21');
    const { addresses } = resolver(new HostPolicy(['127.0.73.0/24']), { 'app.test': ['127.0.73.21'] });
    const clock = new RecordingClock();
    const probe = new UndiciHealthProbe(clock, addresses);
    probes.push(probe);
    const result = await probe.check({ ...spec, url: `http://app.test:${target.port}/` });
    expect(result).toEqual({
      healthy: false,
      statusCode: null,
      attempts: 0,
      elapsedMs: expect.any(Number) as number,
      message:
        'Health check refused: app.test resolves to 127.0.73.21, which is inside SERVER_HOST_DENYLIST (127.0.73.0/24)',
      lastError: null,
    });
    expect(clock.sleeps).toEqual([]);
    expect(target.seen).toEqual([]);
  });

  it.each([
    ['http://169.254.169.254/latest/meta-data/', '169.254.169.254'],
    ['http://2852039166/', '169.254.169.254'],
    ['http://0xa9fea9fe:8080/', '169.254.169.254'],
    ['http://0251.0376.0251.0376/', '169.254.169.254'],
    ['http://[::ffff:169.254.169.254]/', '::ffff:a9fe:a9fe'],
  ])('refuses the literal %s by default (%s)', async (url, address) => {
    const { addresses, calls } = resolver(new HostPolicy(), {});
    const result = await withAddresses(addresses).check({ ...spec, url });
    expect(result).toMatchObject({
      healthy: false,
      attempts: 0,
      message: `Health check refused: ${address} is inside SERVER_HOST_DENYLIST (169.254.0.0/16)`,
    });
    expect(calls).toEqual([]);
  });

  it('rewrites an IPv6 address into brackets', async () => {
    const target = await listen('::1');
    const { addresses } = resolver(new HostPolicy(), { 'six.test': ['::1'] });
    const result = await withAddresses(addresses).check({
      ...spec,
      url: `http://six.test:${target.port}/`,
    });
    expect(result).toMatchObject({ healthy: true });
    expect(target.seen).toEqual([{ host: `six.test:${target.port}`, localAddress: '::1' }]);
  });

  it('counts a name that does not resolve as a failed attempt and retries the lookup', async () => {
    const lookups: string[] = [];
    const addresses = new ResolvedAddresses(new HostPolicy(), (name) => {
      lookups.push(name);
      return Promise.reject(Object.assign(new Error('nope'), { code: 'ENOTFOUND' }));
    });
    const result = await withAddresses(addresses).check({
      ...spec,
      maxAttempts: 2,
      url: 'http://gone.test/',
    });
    expect(result).toMatchObject({
      healthy: false,
      attempts: 2,
      message: 'Health check failed after 2 attempts',
      lastError: 'cannot resolve gone.test (ENOTFOUND)',
    });
    expect(lookups).toEqual(['gone.test', 'gone.test']);
  });
});
