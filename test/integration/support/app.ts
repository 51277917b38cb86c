import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import type { DynamicModule, INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import type TestAgent from 'supertest/lib/agent';
import { ApplicationsModule } from '../../../src/applications/applications.module';
import { AuditService } from '../../../src/audit/audit.service';
import { TokenService, type TokenOptions } from '../../../src/auth/token.service';
import { AuthModule } from '../../../src/common/auth/auth.module';
import { configureHttpApp } from '../../../src/common/http/configure-http-app';
import { AppConfig, loadConfig } from '../../../src/config/app-config';
import { AppConfigModule } from '../../../src/config/config.module';
import { DatabaseModule } from '../../../src/database/database.module';
import { DeploymentQueue } from '../../../src/deployments/deployment-queue.port';
import { CapacityPreview } from '../../../src/deployments/capacity-preview.port';
import { DeploymentsModule } from '../../../src/deployments/deployments.module';
import { ServersModule } from '../../../src/servers/servers.module';
import { RecordingCapacityPreview } from '../../fakes/recording-capacity-preview';
import { RolloutEvents } from '../../../src/rollout/ports/rollout-events.port';
import { RecordingEvents } from '../../fakes/recording-events';
import { RecordingQueue } from '../../fakes/recording-queue';
import { deleteKeys, TEST_REDIS_URL } from '../../support/redis';
import { createTestDatabase, type TestDatabase } from './database';

export interface TestApp {
  app: INestApplication<Server>;
  /** supertest bound to the app: `http.get('/api/servers').set(auth(token))`. */
  http: TestAgent;
  /** Creates the team when missing and a new API token for it. */
  tokenFor(teamName: string, options?: TokenOptions): Promise<string>;
  /** The DeploymentQueue of the app: records enqueued deployment ids. */
  queue: RecordingQueue;
  /** What the API announced over socket.io. */
  events: RecordingEvents;
  /** The plan preview's capacity check (no SSH here: the servers' addresses are not the test's). */
  capacity: RecordingCapacityPreview;
  /** The migrated throwaway database the app runs on. */
  db: TestDatabase;
  config: AppConfig;
  /** Every response body the app sent, as text: to assert that no response ever carried a secret. */
  sentBodies: string[];
  close(): Promise<void>;
}

interface SendingResponse {
  send(body: unknown): unknown;
}

/** Records each body the app sends, whichever route or filter sent it. */
function recordBodies(app: INestApplication, sent: string[]): void {
  app.use((_request: unknown, response: SendingResponse, next: () => void) => {
    const send = response.send.bind(response);
    response.send = (body: unknown) => {
      // An object is sent again by Express as its JSON text; recorded both times.
      sent.push(
        Buffer.isBuffer(body)
          ? body.toString('utf8')
          : typeof body === 'string'
            ? body
            : (JSON.stringify(body) ?? ''),
      );
      return send(body);
    };
    next();
  });
}

/** Stands in for the root module's choice of queue and events (both global, as QueueModule and EventsModule). */
function recordingTransport(queue: RecordingQueue, events: RecordingEvents): DynamicModule {
  return {
    module: class RecordingTransportModule {},
    global: true,
    providers: [
      { provide: DeploymentQueue, useValue: queue },
      { provide: RolloutEvents, useValue: events },
    ],
    exports: [DeploymentQueue, RolloutEvents],
  };
}

export function bearer(token: string): { Authorization: string } {
  return { Authorization: `Bearer ${token}` };
}

/**
 * The HTTP API (servers, applications, deployments, auth) on a fresh migrated database, configured
 * exactly as main.ts does it (`configureHttpApp`), with a recording queue instead of BullMQ's.
 */
export async function createTestApp(env: Record<string, string> = {}): Promise<TestApp> {
  const db = await createTestDatabase();
  const config = loadConfig({
    // Tests send many bad credentials on purpose; the throttling test sets its own limit.
    AUTH_FAILURE_LIMIT: '1000000',
    DATABASE_URL: db.url,
    REDIS_URL: TEST_REDIS_URL,
    APP_KEY: randomBytes(32).toString('hex'),
    QUEUE_PREFIX: `rollout-test-${randomBytes(4).toString('hex')}`,
    LOG_LEVEL: 'silent',
    ...env,
  });
  const queue = new RecordingQueue();
  const events = new RecordingEvents();
  const capacity = new RecordingCapacityPreview();
  try {
    const moduleRef = await Test.createTestingModule({
      imports: [
        AppConfigModule,
        DatabaseModule,
        AuthModule,
        ServersModule,
        ApplicationsModule,
        DeploymentsModule,
        recordingTransport(queue, events),
      ],
    })
      .overrideProvider(AppConfig)
      .useValue(config)
      .overrideProvider(CapacityPreview)
      .useValue(capacity)
      .compile();
    const app = moduleRef.createNestApplication<INestApplication<Server>>({ logger: false });
    const sentBodies: string[] = [];
    recordBodies(app, sentBodies);
    configureHttpApp(app);
    await app.init();
    const tokens = app.get(TokenService);
    const audit = app.get(AuditService);
    return {
      app,
      http: request(app.getHttpServer()),
      tokenFor: async (teamName, options) => (await tokens.createToken(teamName, options)).token,
      queue,
      events,
      capacity,
      db,
      config,
      sentBodies,
      close: async () => {
        await tokens.settle();
        await audit.settle();
        await app.close();
        await deleteKeys(`${config.queuePrefix}:*`);
        await db.drop();
      },
    };
  } catch (error) {
    await db.drop();
    throw error;
  }
}
