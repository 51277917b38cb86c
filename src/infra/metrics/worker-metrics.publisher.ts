import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type Redis from 'ioredis';
import { AppConfig } from '../../config/app-config';
import { REDIS_CLIENT } from '../queue/redis-client.module';
import { RolloutMetrics } from './rollout-metrics';
import {
  WORKER_METRICS_INTERVAL_MS,
  WORKER_METRICS_TTL_SECONDS,
  workerMetricsKey,
} from './worker-metrics.keys';

/** The worker has no HTTP port: every few seconds it leaves its registry in Redis for the API to serve. */
@Injectable()
export class WorkerMetricsPublisher implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(WorkerMetricsPublisher.name);
  private readonly key: string;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly metrics: RolloutMetrics,
    @Inject(REDIS_CLIENT) private readonly redis: Redis,
    config: AppConfig,
  ) {
    this.key = workerMetricsKey(config.queuePrefix);
  }

  onApplicationBootstrap(): void {
    // Fire and forget: publish() logs its own failure, and the next tick publishes again.
    void this.publish();
    this.timer = setInterval(() => void this.publish(), WORKER_METRICS_INTERVAL_MS);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.redis.del(this.key).catch(() => undefined);
  }

  async publish(): Promise<void> {
    try {
      const json = JSON.stringify(await this.metrics.registry.getMetricsAsJSON());
      await this.redis.set(this.key, json, 'EX', WORKER_METRICS_TTL_SECONDS);
    } catch (error) {
      this.logger.warn({ err: error }, 'could not publish worker metrics');
    }
  }
}
