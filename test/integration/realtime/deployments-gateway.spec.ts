import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import Redis from 'ioredis';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Socket, io } from 'socket.io-client';
import { ApplicationEntity } from '../../../src/applications/application.entity';
import { TokenService } from '../../../src/auth/token.service';
import { AppConfig } from '../../../src/config/app-config';
import { AppConfigModule } from '../../../src/config/config.module';
import { DatabaseModule } from '../../../src/database/database.module';
import { DeploymentEntity } from '../../../src/deployments/deployment.entity';
import { EventsGatewayModule } from '../../../src/infra/events/events-gateway.module';
import { RedisEmitterRolloutEvents } from '../../../src/infra/events/redis-emitter-rollout-events';
import { RedisIoAdapter } from '../../../src/infra/events/redis-io.adapter';
import { DEFAULT_ROLLING_UPDATE, type BatchView, type DeploymentView } from '../../../src/rollout/domain';
import { TEST_REDIS_URL, testConfig } from '../queue/test-redis';
import { waitFor } from '../../support/wait';
import { type TestDatabase, createTestDatabase } from '../support/database';

jest.setTimeout(30_000);

interface Received {
  event: string;
  payload: { id?: number; deploymentId?: number; message?: string; status?: string };
}

function deploymentView(id: number, applicationId: number, status: DeploymentView['status']): DeploymentView {
  return {
    ...DEFAULT_ROLLING_UPDATE,
    healthCheckPath: '/health',
    order: 'stop-first',
    id,
    applicationId,
    strategy: 'rolling',
    status,
    image: 'ghcr.io/acme/shop',
    tag: 'v2',
    previousImage: null,
    previousTag: null,
    totalBatches: 1,
    completedBatches: 0,
    failedBatches: 0,
    failureReason: null,
    resumeCount: 0,
    lastResumedAt: null,
    createdAt: new Date(0).toISOString(),
    startedAt: null,
    completedAt: null,
  };
}

function batchView(id: number): BatchView {
  return {
    id,
    batchNumber: 1,
    totalBatches: 1,
    serverIds: [1],
    targetInstanceCount: 1,
    status: 'in_progress',
    startedAt: new Date(0).toISOString(),
    completedAt: null,
    successfulInstances: 0,
    failedInstances: 0,
    healthCheckResults: {},
    failureReason: null,
    serverOutcomes: {},
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
  };
}

describe('DeploymentsGateway over the socket.io Redis adapter', () => {
  let db: TestDatabase;
  let config: AppConfig;
  let app: INestApplication<Server>;
  let url: string;
  let tokenA: string;
  let tokenB: string;
  let deploymentA1: number;
  let deploymentA2: number;
  let deploymentB: number;
  let emitterRedis: Redis;
  let events: RedisEmitterRolloutEvents;
  const sockets: Socket[] = [];

  async function connect(token?: string): Promise<Socket> {
    const socket = io(`${url}/deployments`, {
      auth: token === undefined ? {} : { token },
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
    });
    sockets.push(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('connect_error', reject);
    });
    return socket;
  }

  function record(socket: Socket): Received[] {
    const received: Received[] = [];
    socket.onAny((event: string, payload: Received['payload']) => received.push({ event, payload }));
    return received;
  }

  beforeAll(async () => {
    db = await createTestDatabase();
    config = testConfig({ DATABASE_URL: db.url });
    const moduleRef = await Test.createTestingModule({
      imports: [AppConfigModule, DatabaseModule, EventsGatewayModule],
    })
      .overrideProvider(AppConfig)
      .useValue(config)
      .compile();
    moduleRef.useLogger(false);
    app = moduleRef.createNestApplication<INestApplication<Server>>();
    const adapter = new RedisIoAdapter(app, config);
    await adapter.connect();
    app.useWebSocketAdapter(adapter);
    await app.listen(0, '127.0.0.1');
    url = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;

    const tokens = app.get(TokenService);
    const teamA = await tokens.createToken('team-a');
    const teamB = await tokens.createToken('team-b');
    tokenA = teamA.token;
    tokenB = teamB.token;
    const applications = db.dataSource.getRepository(ApplicationEntity);
    const deployments = db.dataSource.getRepository(DeploymentEntity);
    const application = (teamId: number, name: string) =>
      applications.save({
        teamId,
        name,
        image: 'ghcr.io/acme/shop',
        tag: 'v1',
        containerPort: 3000,
        hostPort: 8080,
        alternateHostPort: 8081,
        loadBalancer: { type: 'none' },
      });
    const appA = await application(teamA.teamId, 'shop');
    const appB = await application(teamB.teamId, 'shop');
    deploymentA1 = (await deployments.save({ applicationId: appA.id, image: 'ghcr.io/acme/shop', tag: 'v2' }))
      .id;
    deploymentA2 = (await deployments.save({ applicationId: appA.id, image: 'ghcr.io/acme/shop', tag: 'v3' }))
      .id;
    deploymentB = (await deployments.save({ applicationId: appB.id, image: 'ghcr.io/acme/shop', tag: 'v2' }))
      .id;

    // The worker's side: a separate connection and emitter, as in the worker process.
    emitterRedis = new Redis(TEST_REDIS_URL);
    events = new RedisEmitterRolloutEvents(emitterRedis, config.socketIoKey);
  });

  afterEach(() => {
    for (const socket of sockets.splice(0)) socket.disconnect();
  });

  afterAll(async () => {
    await emitterRedis?.quit();
    await app?.close();
    await db?.drop();
  });

  it('refuses a connection with a wrong or missing token', async () => {
    await expect(connect('rlt_' + 'x'.repeat(43))).rejects.toThrow('Unauthorized');
    await expect(connect('not-a-token')).rejects.toThrow('Unauthorized');
    await expect(connect()).rejects.toThrow('Unauthorized');
  });

  it("acknowledges a subscription to the team's own deployment only", async () => {
    const socket = await connect(tokenA);

    expect(await socket.emitWithAck('subscribe', { deploymentId: deploymentA1 })).toEqual({ ok: true });
    expect(await socket.emitWithAck('subscribe', { deploymentId: deploymentB })).toEqual({
      ok: false,
      error: 'Deployment not found',
    });
    expect(await socket.emitWithAck('subscribe', { deploymentId: 999_999 })).toEqual({
      ok: false,
      error: 'Deployment not found',
    });
    for (const bad of [{}, { deploymentId: String(deploymentA1) }, { deploymentId: -1 }, 'x']) {
      expect(await socket.emitWithAck('subscribe', bad)).toMatchObject({
        ok: false,
        error: expect.any(String) as string,
      });
    }
  });

  it("delivers a worker's events to the deployment's subscribers, in order, and to nobody else", async () => {
    const watcher = await connect(tokenA);
    const other = await connect(tokenA);
    const outsider = await connect(tokenB);
    expect(await watcher.emitWithAck('subscribe', { deploymentId: deploymentA1 })).toEqual({ ok: true });
    expect(await other.emitWithAck('subscribe', { deploymentId: deploymentA2 })).toEqual({ ok: true });
    expect(await outsider.emitWithAck('subscribe', { deploymentId: deploymentB })).toEqual({ ok: true });
    const seen = record(watcher);
    const seenByOther = record(other);
    const seenByOutsider = record(outsider);

    events.deploymentUpdated(deploymentView(deploymentA1, 1, 'in_progress'));
    events.batchUpdated(deploymentA1, batchView(31));
    for (let step = 1; step <= 50; step++) {
      events.instanceUpdated({
        id: step,
        deploymentId: deploymentA1,
        batchNumber: 1,
        serverId: 1,
        phase: 'health_checking',
        message: `step ${step}`,
      });
    }
    events.deploymentFinished(deploymentView(deploymentA1, 1, 'completed'));
    events.instanceUpdated({
      id: 51,
      deploymentId: deploymentA2,
      batchNumber: 1,
      serverId: 2,
      phase: 'pulling',
      message: 'a2',
    });

    await waitFor('the finish', () =>
      seen.some((r) => r.event === 'deployment.finished') ? true : undefined,
    );
    await waitFor("the other deployment's event", () => (seenByOther.length > 0 ? true : undefined));

    expect(seen.map((r) => r.event)).toEqual([
      'deployment.updated',
      'batch.updated',
      ...Array<string>(50).fill('instance.updated'),
      'deployment.finished',
    ]);
    expect(seen.slice(2, 52).map((r) => r.payload.message)).toEqual(
      Array.from({ length: 50 }, (_, i) => `step ${i + 1}`),
    );
    expect(seen[1]?.payload).toMatchObject({ id: 31, deploymentId: deploymentA1, status: 'in_progress' });
    expect(seen[52]?.payload).toMatchObject({ id: deploymentA1, status: 'completed' });
    expect(seenByOther).toEqual([
      {
        event: 'instance.updated',
        payload: expect.objectContaining({
          deploymentId: deploymentA2,
          message: 'a2',
        }) as Received['payload'],
      },
    ]);
    expect(seenByOutsider).toEqual([]);
  });

  it('stops delivering after unsubscribe', async () => {
    const socket = await connect(tokenA);
    expect(await socket.emitWithAck('subscribe', { deploymentId: deploymentA1 })).toEqual({ ok: true });
    expect(await socket.emitWithAck('subscribe', { deploymentId: deploymentA2 })).toEqual({ ok: true });
    expect(await socket.emitWithAck('unsubscribe', { deploymentId: deploymentA1 })).toEqual({ ok: true });
    const seen = record(socket);

    events.deploymentUpdated(deploymentView(deploymentA1, 1, 'in_progress'));
    events.deploymentUpdated(deploymentView(deploymentA2, 1, 'in_progress'));
    await waitFor('an event', () => (seen.length > 0 ? true : undefined));
    await new Promise((resolve) => setTimeout(resolve, 100));

    expect(seen.map((r) => r.payload.id)).toEqual([deploymentA2]);
  });
});
