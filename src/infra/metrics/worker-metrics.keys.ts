import { hostname } from 'node:os';

/** Where a worker leaves its metrics for the API's /metrics (JSON of prom-client's registry). */
export function workerMetricsKey(queuePrefix: string, instance = `${hostname()}-${process.pid}`): string {
  return `${queuePrefix}:metrics:worker:${instance}`;
}

export function workerMetricsPattern(queuePrefix: string): string {
  return `${queuePrefix}:metrics:worker:*`;
}

export const WORKER_METRICS_INTERVAL_MS = 5_000;
/** A worker that stopped publishing (killed) drops out of /metrics after this long. */
export const WORKER_METRICS_TTL_SECONDS = 30;
