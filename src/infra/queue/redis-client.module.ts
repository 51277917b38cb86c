import { Global, Inject, Injectable, Module, type OnApplicationShutdown } from '@nestjs/common';
import Redis from 'ioredis';
import { AppConfig, requireRedisUrl } from '../../config/app-config';
import { redisOptionsFromUrl } from './redis-options';
import { watchRedis } from './redis-watch';

/** A general-purpose ioredis client for small commands (health ping, metrics hand-over). */
export const REDIS_CLIENT = Symbol('REDIS_CLIENT');

@Injectable()
class RedisClientCloser implements OnApplicationShutdown {
  constructor(@Inject(REDIS_CLIENT) private readonly client: Redis) {}

  async onApplicationShutdown(): Promise<void> {
    await this.client.quit().catch(() => this.client.disconnect());
  }
}

@Global()
@Module({
  providers: [
    {
      provide: REDIS_CLIENT,
      inject: [AppConfig],
      // No offline queue: while Redis is away a command fails at once instead of hanging a health check.
      // The first connection is awaited so early commands do not fail; a Redis that is down at boot is
      // retried in the background (and /health says so).
      useFactory: async (config: AppConfig) => {
        const client = watchRedis(
          new Redis({
            ...redisOptionsFromUrl(requireRedisUrl(config)),
            enableOfflineQueue: false,
            maxRetriesPerRequest: 1,
            lazyConnect: true,
            // How long a disconnect waits for a socket that never opened before dropping it.
            disconnectTimeout: 500,
            connectionName: 'rollout',
          }),
          'client',
        );
        await client.connect().catch(() => undefined);
        return client;
      },
    },
    RedisClientCloser,
  ],
  exports: [REDIS_CLIENT],
})
export class RedisClientModule {}
