import type { RedisOptions } from 'ioredis';
import { type AppConfig, requireRedisUrl } from '../../config/app-config';

/** ioredis options from a redis:// or rediss:// URL (user, password, database number, TLS). */
export function redisOptionsFromUrl(redisUrl: string): RedisOptions {
  const url = new URL(redisUrl);
  const db = url.pathname.replace(/^\//, '');
  return {
    host: url.hostname.replace(/^\[(.*)\]$/, '$1') || '127.0.0.1',
    port: url.port ? Number(url.port) : 6379,
    ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
    ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
    ...(db ? { db: Number(db) } : {}),
    ...(url.protocol === 'rediss:' ? { tls: {} } : {}),
  };
}

/**
 * Connection and key prefix of the `deployments` queue, for its producers and for the worker.
 * `maxRetriesPerRequest: null`, as BullMQ requires for workers, makes every command wait out a Redis outage
 * instead of failing: a lock renewal or an enqueue that failed half-way would leave a deployment `queued`
 * with no job.
 */
export function bullmqOptions(config: AppConfig): { connection: RedisOptions; prefix: string } {
  return {
    connection: { ...redisOptionsFromUrl(requireRedisUrl(config)), maxRetriesPerRequest: null },
    prefix: config.queuePrefix,
  };
}
