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

export abstract class HealthProbe {
  /** Polls until healthy (2xx), `maxAttempts` or the deadline, whichever comes first; never rejects. */
  abstract check(spec: HealthCheckSpec): Promise<HealthCheckOutcome>;
}
