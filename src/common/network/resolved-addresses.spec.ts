import { HostPolicy } from './host-policy';
import { DeniedAddressError, HostResolutionError, ResolvedAddresses } from './resolved-addresses';

/** A resolver that answers from a table, one answer after another, and counts its calls. */
function tableLookup(table: Record<string, string[]>) {
  const calls: string[] = [];
  const lookup = (name: string) => {
    calls.push(name);
    const answers = table[name] ?? [];
    const address = answers.length > 1 ? answers.shift() : answers[0];
    if (address === undefined) {
      return Promise.reject(Object.assign(new Error('not found'), { code: 'ENOTFOUND' }));
    }
    return Promise.resolve({ address });
  };
  return { lookup, calls };
}

const rejection = (promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (err: Error) => err,
  );

describe('ResolvedAddresses', () => {
  const policy = new HostPolicy(['169.254.0.0/16', '127.0.73.0/24']);

  it('resolves a name once per call, records the answer and hands the probe the recorded one', async () => {
    const { lookup, calls } = tableLookup({ 'web.test': ['127.0.74.1', '127.0.74.2'] });
    const addresses = new ResolvedAddresses(policy, lookup);
    expect(await addresses.resolve('web.test')).toBe('127.0.74.1');
    expect(await addresses.recordedOrResolve('WEB.test')).toBe('127.0.74.1');
    expect(await addresses.recordedOrResolve('web.test')).toBe('127.0.74.1');
    expect(calls).toEqual(['web.test']);
    // A new connection resolves again; the probe follows it.
    expect(await addresses.resolve('web.test')).toBe('127.0.74.2');
    expect(addresses.recorded('web.test')).toBe('127.0.74.2');
    expect(await addresses.recordedOrResolve('web.test')).toBe('127.0.74.2');
    expect(calls).toEqual(['web.test', 'web.test']);
  });

  it('lets the probe resolve once itself when no connection did, sharing one lookup between callers', async () => {
    const { lookup, calls } = tableLookup({ 'web.test': ['127.0.74.1', '127.0.74.2'] });
    const addresses = new ResolvedAddresses(policy, lookup);
    const answers = await Promise.all([1, 2, 3].map(() => addresses.recordedOrResolve('web.test')));
    expect(answers).toEqual(['127.0.74.1', '127.0.74.1', '127.0.74.1']);
    expect(calls).toEqual(['web.test']);
  });

  it('never looks up a literal address, whatever its spelling', async () => {
    const { lookup, calls } = tableLookup({});
    const addresses = new ResolvedAddresses(policy, lookup);
    expect(await addresses.resolve('0x7f000001')).toBe('127.0.0.1');
    expect(await addresses.resolve('[::1]')).toBe('::1');
    expect(await addresses.recordedOrResolve('127.0.0.1')).toBe('127.0.0.1');
    expect(calls).toEqual([]);
  });

  it.each([
    ['169.254.169.254', '169.254.169.254 is inside SERVER_HOST_DENYLIST (169.254.0.0/16)'],
    ['2852039166', '169.254.169.254 is inside SERVER_HOST_DENYLIST (169.254.0.0/16)'],
    ['::ffff:169.254.1.1', '::ffff:a9fe:101 is inside SERVER_HOST_DENYLIST (169.254.0.0/16)'],
    [
      'meta.test',
      'meta.test resolves to 169.254.169.254, which is inside SERVER_HOST_DENYLIST (169.254.0.0/16)',
    ],
    [
      'mapped.test',
      'mapped.test resolves to ::ffff:7f00:490b, which is inside SERVER_HOST_DENYLIST (127.0.73.0/24)',
    ],
  ])('refuses %s: %s', async (host, message) => {
    const { lookup } = tableLookup({
      'meta.test': ['169.254.169.254'],
      'mapped.test': ['::ffff:127.0.73.11'],
    });
    const addresses = new ResolvedAddresses(policy, lookup);
    for (const attempt of [addresses.resolve(host), addresses.recordedOrResolve(host)]) {
      const err = await rejection(attempt);
      expect(err).toBeInstanceOf(DeniedAddressError);
      expect(err.message).toBe(message);
    }
    expect(addresses.recorded(host)).toBeUndefined();
  });

  it('forgets an allowed answer once the name resolves into the denylist (DNS rebinding)', async () => {
    const { lookup } = tableLookup({ 'rebind.test': ['127.0.74.1', '169.254.169.254'] });
    const addresses = new ResolvedAddresses(policy, lookup);
    expect(await addresses.resolve('rebind.test')).toBe('127.0.74.1');
    expect(await rejection(addresses.resolve('rebind.test'))).toBeInstanceOf(DeniedAddressError);
    expect(addresses.recorded('rebind.test')).toBeUndefined();
    expect(await rejection(addresses.recordedOrResolve('rebind.test'))).toBeInstanceOf(DeniedAddressError);
  });

  it('reports a name that does not resolve, and a host that is neither', async () => {
    const addresses = new ResolvedAddresses(policy, tableLookup({}).lookup);
    const missing = await rejection(addresses.resolve('nowhere.test'));
    expect(missing).toBeInstanceOf(HostResolutionError);
    expect(missing.message).toBe('cannot resolve nowhere.test (ENOTFOUND)');
    const odd = await rejection(addresses.resolve('1.2.3.999'));
    expect(odd.message).toBe('host 1.2.3.999 looks like an IPv4 address but is not a valid one');
  });

  it('refuses a resolver answer that is not an address', async () => {
    const addresses = new ResolvedAddresses(policy, () => Promise.resolve({ address: 'evil.test' }));
    expect((await rejection(addresses.resolve('web.test'))).message).toBe(
      'the resolver answered web.test with "evil.test"',
    );
  });

  it('resolves localhost with the system resolver by default', async () => {
    const addresses = new ResolvedAddresses(new HostPolicy([]));
    expect(['127.0.0.1', '::1']).toContain(await addresses.resolve('localhost'));
    const denying = new ResolvedAddresses(new HostPolicy(['127.0.0.0/8', '::1/128']));
    expect((await rejection(denying.resolve('localhost'))).message).toMatch(
      /^localhost resolves to (127\.0\.0\.1|::1), which is inside SERVER_HOST_DENYLIST \((127\.0\.0\.0\/8|::1\/128)\)$/,
    );
  });
});
