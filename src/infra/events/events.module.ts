import { Global, Inject, Injectable, Module, type OnApplicationShutdown } from '@nestjs/common';
import Redis from 'ioredis';
import { AppConfig, requireRedisUrl } from '../../config/app-config';
import { RolloutEvents } from '../../rollout/ports/rollout-events.port';
import { RolloutMetrics } from '../metrics/rollout-metrics';
import { RolloutMetricsModule } from '../metrics/rollout-metrics.module';
import { redisOptionsFromUrl } from '../queue/redis-options';
import { watchRedis } from '../queue/redis-watch';
import { RedisEmitterRolloutEvents } from './redis-emitter-rollout-events';

const EMITTER_REDIS = Symbol('EMITTER_REDIS');

@Injectable()
class EmitterRedisCloser implements OnApplicationShutdown {
  constructor(@Inject(EMITTER_REDIS) private readonly client: Redis) {}

  async onApplicationShutdown(): Promise<void> {
    await this.client.quit().catch(() => this.client.disconnect());
  }
}

/**
 * The RolloutEvents port when workers are separate processes: socket.io events published through Redis,
 * timings observed into RolloutMetrics. Global: the root module chooses it or GatewayEventsModule. The emitter has its own connection, with ioredis' offline queue, so events sent
 * during a short Redis outage go out, in order, when it is back.
 */
@Global()
@Module({
  imports: [RolloutMetricsModule],
  providers: [
    {
      provide: EMITTER_REDIS,
      inject: [AppConfig],
      useFactory: (config: AppConfig) =>
        watchRedis(
          new Redis({ ...redisOptionsFromUrl(requireRedisUrl(config)), connectionName: 'rollout-emitter' }),
          'emitter',
        ),
    },
    EmitterRedisCloser,
    {
      provide: RolloutEvents,
      inject: [EMITTER_REDIS, AppConfig, RolloutMetrics],
      useFactory: (client: Redis, config: AppConfig, metrics: RolloutMetrics) =>
        new RedisEmitterRolloutEvents(client, config.socketIoKey, metrics),
    },
  ],
  exports: [RolloutEvents],
})
export class EventsModule {}
