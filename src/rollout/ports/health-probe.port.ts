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
  /** Consecutive passing attempts that make the instance healthy (default 1: the first pass). */
  successThreshold?: number;
  /** From the first attempt, failures during this long do not count as attempts (default 0). */
  startPeriodMs?: number;
  /** Once healthy, the instance must keep passing (one attempt per interval) this long (default 0). */
  minReadyMs?: number;
}

/** The recorded result plus the last error seen (e.g. `HTTP 500`, `connect ECONNREFUSED …`), for failure reasons. */
export interface HealthCheckOutcome extends HealthCheckResult {
  lastError: string | null;
}

/** The message of a check stopped by a cancel: nothing is known about the instance's health. */
export const HEALTH_CHECK_STOPPED = 'Health check stopped: the deployment was cancelled';

export abstract class HealthProbe {
  /**
   * Polls until healthy (`successThreshold` 2xx in a row, then passing through `minReadyMs`), `maxAttempts`
   * counted attempts or the deadline, whichever comes first; never rejects. When
   * `signal` aborts (the deployment was cancelled) it stops at once, unhealthy, with `HEALTH_CHECK_STOPPED`.
   */
  abstract check(spec: HealthCheckSpec, signal?: AbortSignal): Promise<HealthCheckOutcome>;

  /**
   * Whether an instance already serving answers now (one request: the check before a batch, the monitor
   * of updated instances); `spec` allows one attempt.
   */
  checkNow(spec: HealthCheckSpec): Promise<HealthCheckOutcome> {
    return this.check(spec);
  }
}
