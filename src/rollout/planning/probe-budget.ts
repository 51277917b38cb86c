import type { RollingUpdateOptions } from '../domain';
import type { HealthCheckSpec } from '../ports/health-probe.port';

/**
 * How often and how long the instance on one server is probed. Pure.
 *
 * A new instance gets `maxHealthCheckRetries` attempts within `healthCheckTimeout`, whichever ends first. A
 * restored previous container is known to have worked, and giving up on it early would leave its server out
 * of rotation, so it gets every attempt that fits in the whole timeout (never fewer than the retries).
 *
 * Worked example: healthCheckTimeout 120 s, healthCheckInterval 5 s, maxHealthCheckRetries 10:
 *   new      → 10 attempts, 5000 ms apart, deadline 120000 ms.
 *   restored → ceil(120000 / 5000) + 1 = 25 attempts (at 0 s, then every 5 s up to 120 s).
 *   An interval under 100 ms counts as 100 ms: timeout 1 s, interval 0 → ceil(1000 / 100) + 1 = 11.
 * An instance already serving (`live`: the check before a batch, the monitor of updated instances) gets one
 * request: its answer now is what counts.
 * Each request times out after the worker's HEALTH_REQUEST_TIMEOUT_MS (5000 ms by default), or at the
 * deadline when that comes first: healthCheckTimeout 2 s → 2000 ms.
 */
export type ProbePurpose = 'new' | 'restored' | 'live';

export const MIN_PROBE_PACE_MS = 100;

export interface ProbeInput {
  options: Pick<
    RollingUpdateOptions,
    | 'healthCheckPath'
    | 'healthCheckTimeout'
    | 'healthCheckInterval'
    | 'maxHealthCheckRetries'
    | 'successThreshold'
    | 'startPeriod'
    | 'minReadySeconds'
  >;
  host: string;
  port: number;
  purpose: ProbePurpose;
  /** The worker's timeout of one request. */
  requestTimeoutMs: number;
  /** The time left before the rollout's progress deadline, when it has one: no probe outlasts it. */
  capMs?: number;
}

/**
 * A new instance gets its start period, then `healthCheckTimeout` to pass `successThreshold` times in a row
 * (failures in the start period do not count as attempts), then `minReadySeconds` in which it must keep
 * passing: deadline = startPeriod + healthCheckTimeout + minReadySeconds. A restored previous container
 * needs one pass, at once.
 */
export function probeSpec({
  options,
  host,
  port,
  purpose,
  requestTimeoutMs,
  capMs,
}: ProbeInput): HealthCheckSpec {
  const timeoutMs = options.healthCheckTimeout * 1000;
  const intervalMs = options.healthCheckInterval * 1000;
  const attemptsInDeadline = Math.ceil(timeoutMs / Math.max(intervalMs, MIN_PROBE_PACE_MS)) + 1;
  if (purpose === 'live') {
    return {
      url: instanceUrl(host, port, options.healthCheckPath),
      intervalMs,
      deadlineMs: requestTimeoutMs,
      maxAttempts: 1,
      requestTimeoutMs,
      successThreshold: 1,
      startPeriodMs: 0,
      minReadyMs: 0,
    };
  }
  const isNew = purpose === 'new';
  const gates = isNew
    ? {
        successThreshold: options.successThreshold,
        startPeriodMs: options.startPeriod * 1000,
        minReadyMs: options.minReadySeconds * 1000,
      }
    : { successThreshold: 1, startPeriodMs: 0, minReadyMs: 0 };
  const fullDeadlineMs = gates.startPeriodMs + timeoutMs + gates.minReadyMs;
  const deadlineMs = capMs === undefined ? fullDeadlineMs : Math.max(0, Math.min(fullDeadlineMs, capMs));
  return {
    url: instanceUrl(host, port, options.healthCheckPath),
    intervalMs,
    deadlineMs,
    maxAttempts: isNew
      ? options.maxHealthCheckRetries
      : Math.max(options.maxHealthCheckRetries, attemptsInDeadline),
    requestTimeoutMs: Math.max(1, Math.min(requestTimeoutMs, deadlineMs)),
    ...gates,
  };
}

/** `http://10.0.0.1:8080/health`; an IPv6 address goes in brackets: `http://[2001:db8::1]:8080/health`. */
export function instanceUrl(host: string, port: number, path: string): string {
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}${path}`;
}
