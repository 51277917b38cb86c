/**
 * Bounds of the numbers a request may carry (README, "The API"); a value beyond is a 400 naming the
 * field. Durations are seconds and may be fractional. They bound the work one request can cause: no wait,
 * retry loop or batch plan grows without limit.
 */
export const LIMITS = {
  waitInterval: { min: 0, max: 3600 },
  healthCheckTimeout: { min: 0.1, max: 3600 },
  healthCheckInterval: { min: 0.01, max: 300 },
  maxHealthCheckRetries: { min: 1, max: 10_000 },
  failureThreshold: { min: 1, max: 1000 },
  successThreshold: { min: 1, max: 1000 },
  startPeriod: { min: 0, max: 86_400 },
  minReadySeconds: { min: 0, max: 86_400 },
  progressDeadline: { min: 0, max: 86_400 },
  drainSeconds: { min: 0, max: 3600 },
  /** An application runs on at most this many servers, so larger batch sizes or minimums mean nothing. */
  serversPerApplication: { min: 1, max: 1000 },
  minimumHealthyInstances: { min: 0, max: 1000 },
  batchSize: { min: 1, max: 1000 },
  batchSizePercentage: { min: 1, max: 100 },
  /** Application fields: whole seconds for `docker stop -t`, whole MB of free room a server must have. */
  stopTimeout: { min: 0, max: 3600 },
  minFreeMemoryMb: { min: 0, max: 1_000_000_000 },
  minFreeDiskMb: { min: 0, max: 1_000_000_000 },
} as const;
