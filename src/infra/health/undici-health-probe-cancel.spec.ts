import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SystemClock } from '../../common/clock';
import { HEALTH_CHECK_STOPPED } from '../../rollout/ports/health-probe.port';
import { UndiciHealthProbe } from './undici-health-probe';

const HOUR_MS = 3_600_000;

/** An instance that answers every request with `handle`; counts the requests. */
async function instance(handle: (req: IncomingMessage, res: ServerResponse) => void) {
  const state = { requests: 0 };
  const server: Server = createServer((req, res) => {
    state.requests++;
    handle(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/health`,
    state,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe('UndiciHealthProbe stops at once on a cancel', () => {
  const probe = new UndiciHealthProbe(new SystemClock());
  const closers: Array<() => Promise<void>> = [];
  afterAll(async () => {
    await Promise.all(closers.map((close) => close()));
    await probe.close();
  });

  it('ends an hour-long check of a failing instance within a second, unhealthy and saying why', async () => {
    const failing = await instance((_req, res) => res.writeHead(500).end());
    closers.push(failing.close);
    const cancel = new AbortController();
    setTimeout(() => cancel.abort(), 100);

    const started = Date.now();
    const outcome = await probe.check(
      {
        url: failing.url,
        intervalMs: 60_000,
        deadlineMs: HOUR_MS,
        maxAttempts: 10_000,
        requestTimeoutMs: 5000,
      },
      cancel.signal,
    );

    expect(Date.now() - started).toBeLessThan(1000);
    expect(outcome).toMatchObject({
      healthy: false,
      attempts: 1,
      message: HEALTH_CHECK_STOPPED,
      lastError: 'HTTP 500',
    });
  });

  it('aborts the request in flight to an instance that does not answer', async () => {
    const silent = await instance(() => undefined);
    closers.push(silent.close);
    const cancel = new AbortController();
    setTimeout(() => cancel.abort(), 100);

    const started = Date.now();
    const outcome = await probe.check(
      { url: silent.url, intervalMs: 1000, deadlineMs: HOUR_MS, maxAttempts: 10, requestTimeoutMs: 60_000 },
      cancel.signal,
    );

    expect(Date.now() - started).toBeLessThan(1000);
    expect(outcome).toMatchObject({
      healthy: false,
      message: HEALTH_CHECK_STOPPED,
      lastError: 'request stopped by the cancel',
    });
  });

  it('sends nothing when the cancel came first', async () => {
    const healthy = await instance((_req, res) => res.writeHead(200).end());
    closers.push(healthy.close);
    const outcome = await probe.check(
      { url: healthy.url, intervalMs: 10, deadlineMs: 1000, maxAttempts: 3, requestTimeoutMs: 500 },
      AbortSignal.abort(),
    );
    expect(outcome).toMatchObject({ healthy: false, attempts: 0, message: HEALTH_CHECK_STOPPED });
    expect(healthy.state.requests).toBe(0);
  });
});
