import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type Redis from 'ioredis';
import { AggregatorRegistry, Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { DataSource } from 'typeorm';
import { AppConfig } from '../../config/app-config';
import { DEPLOYMENT_STATUSES } from '../../rollout/domain';
import { QUEUE_DEPTH_STATES, QueueInspector } from '../queue/queue-inspector';
import { REDIS_CLIENT } from '../queue/redis-client.module';
import type { RolloutMetrics } from './rollout-metrics';
import { workerMetricsPattern } from './worker-metrics.keys';

/** The RolloutMetrics of a worker running in this process (`npm start` without Redis). */
export const IN_PROCESS_WORKER_METRICS = Symbol('IN_PROCESS_WORKER_METRICS');

/**
 * The API process's registry, plus the workers' registries: read from Redis at scrape time when workers are
 * separate processes, or the in-process worker's own.
 */
@Injectable()
export class ApiMetrics {
  readonly registry = new Registry();
  private readonly logger = new Logger(ApiMetrics.name);
  private readonly requestDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  private readonly requests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests',
    labelNames: ['method', 'route', 'status_code'] as const,
    registers: [this.registry],
  });

  private readonly queueJobs: Gauge<'state'> = new Gauge({
    name: 'rollout_queue_jobs',
    help: 'Jobs in the deployments queue by state',
    labelNames: ['state'] as const,
    registers: [this.registry],
    collect: () =>
      this.guard('queue depth', async () => {
        const depth = await this.queue.depth();
        for (const state of QUEUE_DEPTH_STATES) this.queueJobs.set({ state }, depth[state]);
      }),
  });

  private readonly deployments: Gauge<'status'> = new Gauge({
    name: 'rollout_deployments',
    help: 'Deployments by status',
    labelNames: ['status'] as const,
    registers: [this.registry],
    collect: () =>
      this.guard('deployments by status', async () => {
        const rows: { status: string; count: number }[] = await this.dataSource.query(
          'SELECT status, COUNT(*)::int AS count FROM deployments GROUP BY status',
        );
        for (const status of DEPLOYMENT_STATUSES) this.deployments.set({ status }, 0);
        for (const row of rows) this.deployments.set({ status: row.status }, row.count);
      }),
  });

  constructor(
    private readonly queue: QueueInspector,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly config: AppConfig,
    @Optional() @Inject(REDIS_CLIENT) private readonly redis?: Redis,
    @Optional() @Inject(IN_PROCESS_WORKER_METRICS) private readonly inProcessWorker?: RolloutMetrics,
  ) {
    collectDefaultMetrics({ register: this.registry });
  }

  observeRequest(method: string, route: string, statusCode: number, seconds: number): void {
    const labels = { method, route, status_code: String(statusCode) };
    this.requestDuration.observe(labels, seconds);
    this.requests.inc(labels);
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The exposition text: this process's metrics, then the workers' summed over every live worker. */
  async render(): Promise<string> {
    const [own, workers] = await Promise.all([this.registry.metrics(), this.workerMetrics()]);
    return workers ? `${own.trimEnd()}\n${workers}` : own;
  }

  private async workerMetrics(): Promise<string> {
    if (this.inProcessWorker) return this.inProcessWorker.registry.metrics();
    const redis = this.redis;
    if (!redis) return '';
    return (
      (await this.guard('worker metrics', async () => {
        const keys = await this.scan(redis, workerMetricsPattern(this.config.queuePrefix));
        if (keys.length === 0) return '';
        const texts = (await redis.mget(...keys)).filter((text): text is string => text !== null);
        if (texts.length === 0) return '';
        return AggregatorRegistry.aggregate(texts.map((text) => JSON.parse(text) as object)).metrics();
      })) ?? ''
    );
  }

  private async scan(redis: Redis, pattern: string): Promise<string[]> {
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 100);
      keys.push(...batch);
      cursor = next;
    } while (cursor !== '0');
    return keys;
  }

  /** A source that is down leaves its metrics stale instead of failing the whole scrape. */
  private async guard<T>(what: string, collect: () => Promise<T>): Promise<T | undefined> {
    try {
      return await collect();
    } catch (error) {
      this.logger.warn({ err: error }, `could not collect ${what}`);
      return undefined;
    }
  }
}
