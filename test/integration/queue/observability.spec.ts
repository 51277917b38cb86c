import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { Server } from 'node:http';
import Redis from 'ioredis';
import request from 'supertest';
import { ApplicationEntity } from '../../../src/applications/application.entity';
import { AuthModule } from '../../../src/common/auth/auth.module';
import { configureHttpApp } from '../../../src/common/http/configure-http-app';
import { AppConfig } from '../../../src/config/app-config';
import { AppConfigModule } from '../../../src/config/config.module';
import { DatabaseModule } from '../../../src/database/database.module';
import { DeploymentEntity } from '../../../src/deployments/deployment.entity';
import { DeploymentQueue } from '../../../src/deployments/deployment-queue.port';
import { HealthModule } from '../../../src/infra/health/http/health.module';
import { MetricsModule } from '../../../src/infra/metrics/metrics.module';
import { RolloutMetrics } from '../../../src/infra/metrics/rollout-metrics';
import { WorkerMetricsPublisher } from '../../../src/infra/metrics/worker-metrics.publisher';
import { QueueModule } from '../../../src/infra/queue/queue.module';
import { RedisClientModule } from '../../../src/infra/queue/redis-client.module';
import { SystemClock } from '../../../src/common/clock';
import type { BatchView } from '../../../src/rollout/domain';
import { type TestDatabase, createTestDatabase } from '../support/database';
import { queryRow } from '../support/sql';
import { TEST_REDIS_URL, testConfig } from './test-redis';
import { deleteKeys } from '../../support/redis';

jest.setTimeout(30_000);

async function createApp(config: AppConfig, modules: unknown[]): Promise<INestApplication<Server>> {
  const moduleRef = await Test.createTestingModule({
    imports: [AppConfigModule, DatabaseModule, AuthModule, ...(modules as never[])],
  })
    .overrideProvider(AppConfig)
    .useValue(config)
    .compile();
  moduleRef.useLogger(false);
  const app = moduleRef.createNestApplication<INestApplication<Server>>();
  configureHttpApp(app);
  await app.init();
  return app;
}

function completedBatch(id: number, seconds: number): BatchView {
  return {
    id,
    batchNumber: 1,
    totalBatches: 1,
    serverIds: [1],
    targetInstanceCount: 1,
    status: 'completed',
    startedAt: '2026-01-01T00:00:00.000Z',
    completedAt: new Date(Date.parse('2026-01-01T00:00:00.000Z') + seconds * 1000).toISOString(),
    successfulInstances: 1,
    failedInstances: 0,
    healthCheckResults: {},
    failureReason: null,
    serverOutcomes: {},
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
  };
}

describe('/health and /metrics', () => {
  let db: TestDatabase;
  let config: AppConfig;
  let app: INestApplication<Server>;
  const workerClients: Redis[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    config = testConfig({ DATABASE_URL: db.url });
    app = await createApp(config, [
      QueueModule,
      RedisClientModule,
      HealthModule.register({ redis: true }),
      MetricsModule,
    ]);
  });

  afterAll(async () => {
    await Promise.all(workerClients.map((client) => client.quit()));
    await app?.close();
    await db?.drop();
    await deleteKeys(`${config.queuePrefix}:*`);
  });

  it('GET /health answers 200 with Postgres and Redis up, without a token', async () => {
    const response = await request(app.getHttpServer()).get('/health').expect(200);
    expect(response.body).toMatchObject({
      status: 'ok',
      details: { database: { status: 'up' }, redis: { status: 'up' } },
    });
  });

  it('GET /health without Redis (npm start in one process) checks and reports the database only', async () => {
    const single = await createApp(testConfig({ DATABASE_URL: db.url, REDIS_URL: '' }), [
      HealthModule.register({ redis: false }),
    ]);
    try {
      const response = await request(single.getHttpServer()).get('/health').expect(200);
      expect(response.body).toEqual({
        status: 'ok',
        info: { database: { status: 'up' } },
        error: {},
        details: { database: { status: 'up' } },
      });
    } finally {
      await single.close();
    }
  });

  it('GET /health answers 503 naming Redis when Redis is unreachable', async () => {
    const broken = await createApp(testConfig({ DATABASE_URL: db.url, REDIS_URL: 'redis://127.0.0.1:1' }), [
      RedisClientModule,
      HealthModule.register({ redis: true }),
    ]);
    try {
      const response = await request(broken.getHttpServer()).get('/health').expect(503);
      expect(response.body).toMatchObject({
        status: 'error',
        error: { redis: { status: 'down' } },
        info: { database: { status: 'up' } },
      });
    } finally {
      await broken.close();
    }
  });

  it('GET /metrics serves queue depth, deployments by status and HTTP timings, without a token', async () => {
    const applications = db.dataSource.getRepository(ApplicationEntity);
    const team = await queryRow<{ id: number }>(
      db.dataSource,
      `INSERT INTO teams (name) VALUES ('metrics') RETURNING id`,
    );
    const application = await applications.save({
      teamId: team.id,
      name: 'shop',
      image: 'ghcr.io/acme/shop',
      tag: 'v1',
      containerPort: 3000,
      hostPort: 8080,
      alternateHostPort: 8081,
      loadBalancer: { type: 'none' },
    });
    await db.dataSource
      .getRepository(DeploymentEntity)
      .save({ applicationId: application.id, image: 'ghcr.io/acme/shop', tag: 'v2' });
    await app.get(DeploymentQueue).enqueue(1);
    await app.get(DeploymentQueue).enqueue(2);
    await request(app.getHttpServer()).get('/api/no/such/route').expect(404);

    const response = await request(app.getHttpServer()).get('/metrics').expect(200);

    expect(response.headers['content-type']).toMatch(/^text\/plain/);
    expect(response.text).toContain('rollout_queue_jobs{state="waiting"} 2');
    expect(response.text).toContain('rollout_queue_jobs{state="failed"} 0');
    expect(response.text).toContain('rollout_deployments{status="pending"} 1');
    expect(response.text).toContain('rollout_deployments{status="in_progress"} 0');
    expect(response.text).toContain('process_cpu_user_seconds_total');
    expect(response.text).toMatch(
      /http_requests_total\{method="GET",route="\/health",status_code="200"\} \d+/,
    );
    expect(response.text).toMatch(
      /http_requests_total\{method="GET",route="unmatched",status_code="404"\} 1/,
    );
  });

  it("GET /metrics adds up the workers' rollout histograms published through Redis", async () => {
    for (const [index, seconds] of [30, 90].entries()) {
      const metrics = new RolloutMetrics(new SystemClock());
      metrics.observeBatch(1, completedBatch(index + 1, seconds));
      const client = new Redis(TEST_REDIS_URL);
      workerClients.push(client);
      const publisher = new WorkerMetricsPublisher(metrics, client, config);
      // Two workers in one test process: give each its own key, as hostname-pid would.
      Object.assign(publisher, { key: `${config.queuePrefix}:metrics:worker:test-${index}` });
      await publisher.publish();
    }

    const response = await request(app.getHttpServer()).get('/metrics').expect(200);

    expect(response.text).toContain('rollout_batch_duration_seconds_count{status="completed"} 2');
    expect(response.text).toContain('rollout_batch_duration_seconds_sum{status="completed"} 120');
    expect(response.text.match(/^# TYPE rollout_batch_duration_seconds histogram$/gm)).toHaveLength(1);
  });
});
