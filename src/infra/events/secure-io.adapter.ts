import type { IncomingMessage } from 'node:http';
import type { INestApplicationContext } from '@nestjs/common';
import { IoAdapter } from '@nestjs/platform-socket.io';
import type { Server, ServerOptions } from 'socket.io';
import type { AppConfig } from '../../config/app-config';
import { isOriginAllowed } from '../../common/http/origin-policy';

/**
 * socket.io as the API serves it: browser Origins outside CORS_ORIGINS are refused at the handshake and
 * the root namespace serves nothing. On its own it delivers the events of this process (the in-process
 * worker of `npm start`); RedisIoAdapter adds the Redis adapter for separate worker processes.
 */
export class SecureIoAdapter extends IoAdapter {
  private readonly servers: Server[] = [];

  constructor(
    app: INestApplicationContext,
    private readonly policy: Pick<AppConfig, 'corsOrigins'>,
  ) {
    super(app);
  }

  override createIOServer(port: number, options?: ServerOptions): Server {
    const origins = this.policy.corsOrigins;
    const server = super.createIOServer(port, {
      ...options,
      cors: { origin: origins.length > 0 ? [...origins] : false },
      // Browsers' cross-site handshakes are refused outright, not only left without CORS headers.
      allowRequest: (request: IncomingMessage, callback: (error: string | null, ok: boolean) => void) =>
        callback(null, isOriginAllowed(request, origins)),
    }) as Server;
    this.configure(server);
    // Only /deployments serves clients; the root namespace has nothing to offer.
    server.of('/').use((_socket, next) => next(new Error('Connect to the /deployments namespace')));
    this.servers.push(server);
    return server;
  }

  /** A subclass's hook to install an adapter on each server. */
  protected configure(_server: Server): void {}

  /**
   * Nest closes only the namespace it was given, so the engine's connections would keep the HTTP server
   * from closing; end them here.
   */
  override async dispose(): Promise<void> {
    for (const server of this.servers.splice(0)) server.engine?.close();
    await super.dispose();
  }
}
