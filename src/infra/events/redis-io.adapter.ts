import type { INestApplicationContext } from '@nestjs/common';
import { createAdapter } from '@socket.io/redis-adapter';
import Redis from 'ioredis';
import type { Server } from 'socket.io';
import { type AppConfig, requireRedisUrl } from '../../config/app-config';
import { redisOptionsFromUrl } from '../queue/redis-options';
import { watchRedis } from '../queue/redis-watch';
import { SecureIoAdapter } from './secure-io.adapter';

/**
 * socket.io with the Redis adapter, so an event published by a worker's emitter (same `key`) reaches
 * the sockets of every API process. Call `connect()` before `app.useWebSocketAdapter(adapter)`.
 */
export class RedisIoAdapter extends SecureIoAdapter {
  private pub?: Redis;
  private sub?: Redis;
  private adapterConstructor?: ReturnType<typeof createAdapter>;

  constructor(
    app: INestApplicationContext,
    private readonly config: Pick<AppConfig, 'redisUrl' | 'socketIoKey' | 'corsOrigins'>,
  ) {
    super(app, config);
  }

  async connect(): Promise<void> {
    const options = { ...redisOptionsFromUrl(requireRedisUrl(this.config)), lazyConnect: true };
    this.pub = watchRedis(new Redis({ ...options, connectionName: 'rollout-io-pub' }), 'socket.io-pub');
    this.sub = watchRedis(new Redis({ ...options, connectionName: 'rollout-io-sub' }), 'socket.io-sub');
    await Promise.all([this.pub.connect(), this.sub.connect()]);
    this.adapterConstructor = createAdapter(this.pub, this.sub, { key: this.config.socketIoKey });
  }

  protected override configure(server: Server): void {
    if (!this.adapterConstructor) throw new Error('RedisIoAdapter.connect() must be awaited before use');
    server.adapter(this.adapterConstructor);
  }

  override async dispose(): Promise<void> {
    await super.dispose();
    const clients = [this.pub, this.sub].filter((client) => client !== undefined);
    await Promise.all(clients.map((client) => client.quit().catch(() => client.disconnect())));
  }
}
