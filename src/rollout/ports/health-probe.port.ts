import type { HealthCheckResult } from '../domain';

export interface HealthCheckSpec {
  url: string;
  /** Pause between attempts. */
  intervalMs: number;
  /** Overall deadline, measured from the first attempt. */
  deadlineMs: number;
  maxAttempts: number;
  /** Timeout of one request. */
  requestTimeoutMs: number;
}

/** The recorded result plus the last error seen (e.g. `HTTP 500`, `connect ECONNREFUSED …`), for failure reasons. */
export interface HealthCheckOutcome extends HealthCheckResult {
  lastError: string | null;
}

/** The message of a check stopped by a cancel: nothing is known about the instance's health. */
export const HEALTH_CHECK_STOPPED = 'Health check stopped: the deployment was cancelled';

export abstract class HealthProbe {
  /**
   * Polls until healthy (2xx), `maxAttempts` or the deadline, whichever comes first; never rejects. When
   * `signal` aborts (the deployment was cancelled) it stops at once, unhealthy, with `HEALTH_CHECK_STOPPED`.
   */
  abstract check(spec: HealthCheckSpec, signal?: AbortSignal): Promise<HealthCheckOutcome>;
}
