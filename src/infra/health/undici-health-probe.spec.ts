import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { RecordingClock } from '../../../test/fakes/recording-clock';
import { FixedClock } from '../../../test/fakes/fixed-clock';
import { UndiciHealthProbe } from './undici-health-probe';

interface Scripted {
  url: string;
  requests: number;
  close(): Promise<void>;
}

/** Answers the n-th request with statuses[n] (the last one repeats), after `delayMs`. */
async function serve(
  statuses: number[],
  delayMs = 0,
  headers: Record<string, string> = {},
): Promise<Scripted> {
  const last = statuses.at(-1);
  if (last === undefined) throw new Error('serve() needs at least one status to answer with');
  const state = { requests: 0 };
  const timers = new Set<NodeJS.Timeout>();
  const server: Server = createServer((_req, res) => {
    const status = statuses[state.requests] ?? last;
    state.requests++;
    const timer = setTimeout(() => {
      timers.delete(timer);
      res.writeHead(status, headers);
      res.end(`status ${status}`);
    }, delayMs);
    timers.add(timer);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/health`,
    get requests() {
      return state.requests;
    },
    close: () =>
      new Promise<void>((resolve) => {
        timers.forEach(clearTimeout);
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const spec = { intervalMs: 20, deadlineMs: 10_000, maxAttempts: 5, requestTimeoutMs: 2000 };

describe('UndiciHealthProbe', () => {
  const servers: Scripted[] = [];
  const probes: UndiciHealthProbe[] = [];
  const start = async (...args: Parameters<typeof serve>) => {
    const s = await serve(...args);
    servers.push(s);
    return s;
  };
  const probe = (clock = new RecordingClock()) => {
    const p = new UndiciHealthProbe(clock);
    probes.push(p);
    return p;
  };
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()));
    await Promise.all(probes.splice(0).map((p) => p.close()));
  });

  it('retries until the instance answers 2xx', async () => {
    const server = await start([500, 500, 200]);
    const clock = new RecordingClock();
    const result = await probe(clock).check({ ...spec, url: server.url });
    expect(result).toEqual({
      healthy: true,
      statusCode: 200,
      attempts: 3,
      elapsedMs: expect.any(Number) as number,
      message: 'Health check passed',
      lastError: null,
    });
    expect(clock.sleeps).toEqual([20, 20]);
    expect(server.requests).toBe(3);
  });

  it('gives up after maxAttempts with the exact message and the last status', async () => {
    const server = await start([500]);
    const result = await probe().check({ ...spec, maxAttempts: 3, url: server.url });
    expect(result).toMatchObject({
      healthy: false,
      statusCode: 500,
      attempts: 3,
      message: 'Health check failed after 3 attempts',
      lastError: 'HTTP 500',
    });
    expect(server.requests).toBe(3);
  });

  it('reports a refused connection with no status code', async () => {
    const port = await closedPort();
    const result = await probe().check({ ...spec, maxAttempts: 2, url: `http://127.0.0.1:${port}/` });
    expect(result).toMatchObject({ healthy: false, statusCode: null, attempts: 2 });
    expect(result.lastError).toBe(`connect ECONNREFUSED 127.0.0.1:${port}`);
  });

  it('counts a response slower than the request timeout as a failed attempt', async () => {
    const server = await start([200], 1000);
    const started = Date.now();
    const result = await probe().check({ ...spec, maxAttempts: 2, requestTimeoutMs: 150, url: server.url });
    expect(result).toMatchObject({
      healthy: false,
      statusCode: null,
      attempts: 2,
      message: 'Health check failed after 2 attempts',
      lastError: 'request timed out after 150ms',
    });
    expect(Date.now() - started).toBeLessThan(900);
  });

  it('stops at the deadline before maxAttempts and never sleeps past it', async () => {
    const server = await start([503]);
    const clock = new FixedClock();
    const result = await probe(clock).check({
      url: server.url,
      intervalMs: 1000,
      deadlineMs: 2500,
      maxAttempts: 10,
      requestTimeoutMs: 2000,
    });
    expect(result).toEqual({
      healthy: false,
      statusCode: 503,
      attempts: 3,
      elapsedMs: 2000,
      message: 'Health check failed after 3 attempts: deadline of 2.5s reached',
      lastError: 'HTTP 503',
    });
    expect(clock.sleeps).toEqual([1000, 1000]);
  });

  it('shortens the request timeout to the time left before the deadline', async () => {
    const server = await start([200], 2000);
    const clock = new FixedClock();
    const result = await probe(clock).check({
      url: server.url,
      intervalMs: 250,
      deadlineMs: 300,
      maxAttempts: 10,
      requestTimeoutMs: 5000,
    });
    expect(result).toMatchObject({
      healthy: false,
      attempts: 2,
      message: 'Health check failed after 2 attempts: deadline of 0.3s reached',
      lastError: 'request timed out after 50ms',
    });
  });

  it('does not follow a redirect', async () => {
    const server = await start([302], 0, { location: 'http://127.0.0.1:1/elsewhere' });
    const result = await probe().check({ ...spec, maxAttempts: 1, url: server.url });
    expect(result).toMatchObject({ healthy: false, statusCode: 302, attempts: 1, lastError: 'HTTP 302' });
    expect(server.requests).toBe(1);
  });

  it('never rejects, even for a malformed URL', async () => {
    const result = await probe().check({ ...spec, maxAttempts: 1, url: 'not a url' });
    expect(result).toMatchObject({ healthy: false, statusCode: null, attempts: 1 });
    expect(result.lastError).toEqual(expect.any(String));
  });

  describe('gates: successThreshold, startPeriod, minReadySeconds', () => {
    it('needs successThreshold passes in a row: a failure in between starts the count again', async () => {
      const server = await start([200, 500, 200, 200, 200]);
      const result = await probe().check({ ...spec, maxAttempts: 10, successThreshold: 3, url: server.url });
      expect(result).toMatchObject({
        healthy: true,
        attempts: 5,
        message: 'Health check passed 3 times in a row',
      });
      expect(server.requests).toBe(5);
    });

    it('does not count failures during the start period against maxAttempts', async () => {
      // Three failures inside a 150 ms start period (20 ms apart), then two counted ones, then a pass.
      const server = await start([500, 500, 500, 500, 500, 500, 200], 0);
      const within = await probe().check({ ...spec, maxAttempts: 2, startPeriodMs: 10_000, url: server.url });
      expect(within).toMatchObject({ healthy: true, attempts: 7 });
      const other = await start([500, 500, 500, 200]);
      const without = await probe().check({ ...spec, maxAttempts: 2, url: other.url });
      expect(without).toMatchObject({
        healthy: false,
        attempts: 2,
        message: 'Health check failed after 2 attempts',
      });
    });

    it('keeps probing through minReadySeconds after the pass and fails an instance that stops answering', async () => {
      const steady = await start([200]);
      const clock = new RecordingClock();
      const kept = await probe(clock).check({ ...spec, minReadyMs: 200, url: steady.url });
      expect(kept).toMatchObject({ healthy: true, message: 'Health check passed and kept passing for 0.2s' });
      expect(kept.elapsedMs).toBeGreaterThanOrEqual(200);
      expect(steady.requests).toBeGreaterThan(3);

      const crashing = await start([200, 200, 500]);
      const failed = await probe().check({ ...spec, minReadyMs: 5_000, url: crashing.url });
      expect(failed).toMatchObject({ healthy: false, attempts: 3, lastError: 'HTTP 500' });
      expect(failed.message).toMatch(
        /^Health check failed \d+\.\ds after the instance passed, within minReadySeconds \(5s\)$/,
      );
      expect(failed.elapsedMs).toBeLessThan(2_000);
    });
  });
});
