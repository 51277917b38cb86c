import { instanceUrl, probeSpec, type ProbePurpose } from './probe-budget';

const options = (timeout: number, interval: number, retries: number, gates = {}) => ({
  healthCheckPath: '/health',
  healthCheckTimeout: timeout,
  healthCheckInterval: interval,
  maxHealthCheckRetries: retries,
  successThreshold: 1,
  startPeriod: 0,
  minReadySeconds: 0,
  ...gates,
});

describe('probeSpec', () => {
  it.each<[number, number, number, ProbePurpose, number, number, number, number]>([
    // timeout s, interval s, retries, purpose → attempts, interval ms, deadline ms, request timeout ms
    [120, 5, 10, 'new', 10, 5000, 120000, 5000],
    [120, 5, 10, 'restored', 25, 5000, 120000, 5000],
    [30, 0.5, 4, 'new', 4, 500, 30000, 5000],
    [30, 0.5, 4, 'restored', 61, 500, 30000, 5000],
    [1, 0, 3, 'restored', 11, 0, 1000, 1000],
    [1, 0.05, 3, 'restored', 11, 50, 1000, 1000],
    [10, 5, 50, 'restored', 50, 5000, 10000, 5000],
    [2, 1, 10, 'new', 10, 1000, 2000, 2000],
  ])(
    'timeout %ss, interval %ss, %i retries, %s instance → %i attempts, %i ms apart, deadline %i ms, requests %i ms',
    (timeout, interval, retries, purpose, attempts, intervalMs, deadlineMs, requestTimeoutMs) => {
      expect(
        probeSpec({
          options: options(timeout, interval, retries),
          host: '10.0.0.1',
          port: 8080,
          purpose,
          requestTimeoutMs: 5000,
        }),
      ).toEqual({
        url: 'http://10.0.0.1:8080/health',
        intervalMs,
        deadlineMs,
        maxAttempts: attempts,
        requestTimeoutMs,
        successThreshold: 1,
        startPeriodMs: 0,
        minReadyMs: 0,
      });
    },
  );

  it('gives a new instance its start period, then the timeout, then the bake time, and needs the threshold', () => {
    const spec = probeSpec({
      options: options(30, 1, 10, { successThreshold: 3, startPeriod: 20, minReadySeconds: 5 }),
      host: '10.0.0.1',
      port: 8080,
      purpose: 'new',
      requestTimeoutMs: 5000,
    });
    expect(spec).toMatchObject({
      deadlineMs: 55_000,
      successThreshold: 3,
      startPeriodMs: 20_000,
      minReadyMs: 5_000,
    });
  });

  it('probes a restored container with none of the gates: one pass, at once', () => {
    const spec = probeSpec({
      options: options(30, 1, 10, { successThreshold: 3, startPeriod: 20, minReadySeconds: 5 }),
      host: '10.0.0.1',
      port: 8080,
      purpose: 'restored',
      requestTimeoutMs: 5000,
    });
    expect(spec).toMatchObject({ deadlineMs: 30_000, successThreshold: 1, startPeriodMs: 0, minReadyMs: 0 });
  });

  it('asks a serving instance once, within one request timeout, with none of the gates', () => {
    const spec = probeSpec({
      options: options(120, 5, 10, { successThreshold: 3, startPeriod: 20, minReadySeconds: 5 }),
      host: '10.0.0.1',
      port: 8081,
      purpose: 'live',
      requestTimeoutMs: 2000,
    });
    expect(spec).toEqual({
      url: 'http://10.0.0.1:8081/health',
      intervalMs: 5000,
      deadlineMs: 2000,
      maxAttempts: 1,
      requestTimeoutMs: 2000,
      successThreshold: 1,
      startPeriodMs: 0,
      minReadyMs: 0,
    });
  });

  it('never lets a probe outlast the progress deadline', () => {
    const spec = probeSpec({
      options: options(120, 1, 10),
      host: '10.0.0.1',
      port: 8080,
      purpose: 'new',
      requestTimeoutMs: 5000,
      capMs: 2500,
    });
    expect(spec).toMatchObject({ deadlineMs: 2500, requestTimeoutMs: 2500 });
  });
});

describe('instanceUrl', () => {
  it.each([
    ['10.0.0.1', 8080, '/health', 'http://10.0.0.1:8080/health'],
    ['web-1.internal', 3000, '/', 'http://web-1.internal:3000/'],
    ['2001:db8::1', 8080, '/up?full=1', 'http://[2001:db8::1]:8080/up?full=1'],
    ['::1', 80, '/health', 'http://[::1]:80/health'],
  ])('%s:%i%s → %s', (host, port, path, url) => {
    expect(instanceUrl(host, port, path)).toBe(url);
  });
});
