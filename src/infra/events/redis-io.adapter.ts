import type { IncomingMessage } from 'node:http';
import type { INestApplicationContext } from '@nestjs/common';
import { IoAdapter } from '@nestjs/platform-socket.io';
import { createAdapter } from '@socket.io/redis-adapter';
import Redis from 'ioredis';
import type { Server, ServerOptions } from 'socket.io';
import type { AppConfig } from '../../config/app-config';
import { isOriginAllowed } from '../../common/http/origin-policy';
import { redisOptionsFromUrl } from '../queue/redis-options';
import { watchRedis } from '../queue/redis-watch';

/**
 * socket.io with the Redis adapter, so an event published by a worker's emitter (same `key`) reaches
 * the sockets of every API process. Call `connect()` before `app.useWebSocketAdapter(adapter)`.
 */
export class RedisIoAdapter extends IoAdapter {
  private pub?: Redis;
  private sub?: Redis;
  private adapterConstructor?: ReturnType<typeof createAdapter>;
  private readonly servers: Server[] = [];

  constructor(
    app: INestApplicationContext,
    private readonly config: Pick<AppConfig, 'redisUrl' | 'socketIoKey' | 'corsOrigins'>,
  ) {
    super(app);
  }

  async connect(): Promise<void> {
    const options = { ...redisOptionsFromUrl(this.config.redisUrl), lazyConnect: true };
    this.pub = watchRedis(new Redis({ ...options, connectionName: 'rollout-io-pub' }), 'socket.io-pub');
    this.sub = watchRedis(new Redis({ ...options, connectionName: 'rollout-io-sub' }), 'socket.io-sub');
    await Promise.all([this.pub.connect(), this.sub.connect()]);
    this.adapterConstructor = createAdapter(this.pub, this.sub, { key: this.config.socketIoKey });
  }

  override createIOServer(port: number, options?: ServerOptions): Server {
    if (!this.adapterConstructor) throw new Error('RedisIoAdapter.connect() must be awaited before use');
    const origins = this.config.corsOrigins;
    const server = super.createIOServer(port, {
      ...options,
      cors: { origin: origins.length > 0 ? [...origins] : false },
      // Browsers' cross-site handshakes are refused outright, not only left without CORS headers.
      allowRequest: (request: IncomingMessage, callback: (error: string | null, ok: boolean) => void) =>
        callback(null, isOriginAllowed(request, origins)),
    }) as Server;
    server.adapter(this.adapterConstructor);
    // Only /deployments serves clients; the root namespace has nothing to offer.
    server.of('/').use((_socket, next) => next(new Error('Connect to the /deployments namespace')));
    this.servers.push(server);
    return server;
  }

  /**
   * Nest closes only the namespace it was given, so the engine's connections would keep the HTTP server
   * from closing; end them here, then the Redis clients.
   */
  override async dispose(): Promise<void> {
    for (const server of this.servers.splice(0)) server.engine?.close();
    const clients = [this.pub, this.sub].filter((client) => client !== undefined);
    await Promise.all(clients.map((client) => client.quit().catch(() => client.disconnect())));
    await super.dispose();
  }
}
