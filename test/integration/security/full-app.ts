import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import type TestAgent from 'supertest/lib/agent';
import { AppModule } from '../../../src/app.module';
import { AuditService } from '../../../src/audit/audit.service';
import { TokenService, type TokenOptions } from '../../../src/auth/token.service';
import { configureHttpApp } from '../../../src/common/http/configure-http-app';
import { AppConfig } from '../../../src/config/app-config';
import { RedisIoAdapter } from '../../../src/infra/events/redis-io.adapter';
import { deleteKeys } from '../../support/redis';
import { testConfig } from '../queue/test-redis';
import { createTestDatabase, type TestDatabase } from '../support/database';

export interface FullApp {
  app: INestApplication<Server>;
  http: TestAgent;
  /** `http://127.0.0.1:PORT` of the listening app. */
  url: string;
  port: number;
  config: AppConfig;
  db: TestDatabase;
  token(team: string, options?: TokenOptions): Promise<{ token: string; id: number; teamId: number }>;
  close(): Promise<void>;
}

/**
 * The API process exactly as main.ts builds it (AppModule, socket.io over Redis, configureHttpApp),
 * listening on a free loopback port, on a fresh migrated database and its own Redis names.
 */
export async function startFullApp(env: Record<string, string> = {}): Promise<FullApp> {
  const db = await createTestDatabase();
  const config = testConfig({ DATABASE_URL: db.url, AUTH_FAILURE_LIMIT: '1000000', ...env });
  let app: INestApplication<Server> | undefined;
  try {
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] })
      .overrideProvider(AppConfig)
      .useValue(config)
      .compile();
    app = moduleRef.createNestApplication<INestApplication<Server>>({ logger: false });
    const io = new RedisIoAdapter(app, config);
    await io.connect();
    app.useWebSocketAdapter(io);
    configureHttpApp(app);
    await app.listen(0, '127.0.0.1');
    const port = (app.getHttpServer().address() as AddressInfo).port;
    const tokens = app.get(TokenService);
    const started = app;
    return {
      app,
      http: request(app.getHttpServer()),
      url: `http://127.0.0.1:${port}`,
      port,
      config,
      db,
      token: (team, options) => tokens.createToken(team, options),
      close: async () => {
        await tokens.settle();
        await started.get(AuditService).settle();
        await started.close();
        await deleteKeys(`${config.queuePrefix}:*`, `${config.socketIoKey}*`);
        await db.drop();
      },
    };
  } catch (error) {
    await app?.close();
    await db.drop();
    throw error;
  }
}
