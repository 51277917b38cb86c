import { ApplicationInstanceEntity } from '../../../src/applications/application-instance.entity';
import type { AppConfig } from '../../../src/config/app-config';
import { DeploymentEventEntity } from '../../../src/deployments/deployment-event.entity';
import { DeploymentEntity } from '../../../src/deployments/deployment.entity';
import { RecordNotFoundError } from '../../../src/infra/persistence/persistence-errors';
import { encryptSecret, serverPrivateKeyRow } from '../../../src/common/crypto/secret-box';
import { TypeormHostKeyPinning } from '../../../src/infra/persistence/typeorm-host-key-pinning';
import { TypeormRolloutStore } from '../../../src/infra/persistence/typeorm-rollout-store';
import type { InstanceState } from '../../../src/rollout/domain';
import { RemoteConnectionError } from '../../../src/rollout/ports/remote-executor.port';
import { ServerEntity } from '../../../src/servers/server.entity';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { Fixtures, TEST_APP_KEY, testPrivateKey } from '../support/fixtures';

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

describe('TypeormRolloutStore', () => {
  let db: TestDatabase;
  let fixtures: Fixtures;
  let store: TypeormRolloutStore;

  beforeAll(async () => {
    db = await createTestDatabase();
    fixtures = new Fixtures(db.dataSource);
    store = new TypeormRolloutStore(db.dataSource, { appKey: TEST_APP_KEY } as AppConfig);
  }, 30_000);
  afterAll(() => db?.drop());

  /** Three servers given to the application in the order 3rd, 1st, 2nd, and a traefik host. */
  async function scenario(deployment: Partial<DeploymentEntity> = {}) {
    const team = await fixtures.team();
    const [a, b, c, proxy] = [
      await fixtures.server(team.id, { name: 'a', host: '10.0.0.1' }),
      await fixtures.server(team.id, {
        name: 'b',
        host: '10.0.0.2',
        port: 2222,
        hostKeyFingerprint: 'SHA256:bbb',
      }),
      await fixtures.server(team.id, { name: 'c', host: '10.0.0.3' }),
      await fixtures.server(team.id, { name: 'proxy', host: '10.0.0.9' }),
    ];
    const loadBalancer = {
      type: 'traefik' as const,
      serverId: proxy.id,
      configPath: '/data/shop.yaml',
      domain: 'shop.test',
      drainSeconds: 0.5,
    };
    const app = await fixtures.application(team.id, [c.id, a.id, b.id], {
      env: { NODE_ENV: 'production' },
      healthCheckPath: '/ready',
      loadBalancer,
    });
    const created = await fixtures.deployment(app.id, { status: 'queued', ...deployment });
    return { team, a, b, c, proxy, app, deployment: created, loadBalancer };
  }

  describe('loadContext', () => {
    it('assembles the deployment, the application, decrypted servers in order, instances and batches', async () => {
      const s = await scenario({ waitInterval: 0.25, healthCheckTimeout: 1.5 });
      await store.saveInstance(s.app.id, {
        serverId: s.a.id,
        image: 'ghcr.io/acme/shop',
        tag: 'v1',
        status: 'running',
        inRotation: true,
        hostPort: 8081,
        previousImage: 'ghcr.io/acme/shop',
        previousTag: 'v0',
      });
      await store.ensureBatches(s.deployment.id, [
        { batchNumber: 2, serverIds: [s.b.id], targetInstanceCount: 1 },
        { batchNumber: 1, serverIds: [s.c.id, s.a.id], targetInstanceCount: 2 },
      ]);

      const context = await store.loadContext(s.deployment.id);

      expect(context.deployment).toMatchObject({
        id: s.deployment.id,
        applicationId: s.app.id,
        status: 'queued',
        healthCheckPath: '/ready',
        waitInterval: 0.25,
        healthCheckTimeout: 1.5,
      });
      expect(context.cancelRequested).toBe(false);
      expect(context.application).toEqual({
        id: s.app.id,
        name: s.app.name,
        image: 'ghcr.io/acme/shop',
        tag: 'v1',
        containerPort: 3000,
        hostPort: 8080,
        env: { NODE_ENV: 'production' },
        healthCheckPath: '/ready',
        serverIds: [s.c.id, s.a.id, s.b.id],
        loadBalancer: s.loadBalancer,
      });
      expect(context.servers).toEqual([
        {
          id: s.c.id,
          name: 'c',
          host: '10.0.0.3',
          port: 22,
          user: 'deploy',
          privateKey: testPrivateKey('c'),
          hostKeyFingerprint: null,
        },
        expect.objectContaining({ id: s.a.id, privateKey: testPrivateKey('a') }),
        expect.objectContaining({ id: s.b.id, port: 2222, hostKeyFingerprint: 'SHA256:bbb' }),
      ]);
      expect(context.loadBalancerServer).toEqual(
        expect.objectContaining({ id: s.proxy.id, host: '10.0.0.9', privateKey: testPrivateKey('proxy') }),
      );
      expect(context.instances).toEqual([
        {
          serverId: s.c.id,
          image: null,
          tag: null,
          status: 'absent',
          inRotation: false,
          hostPort: 8080,
          previousImage: null,
          previousTag: null,
        },
        {
          serverId: s.a.id,
          image: 'ghcr.io/acme/shop',
          tag: 'v1',
          status: 'running',
          inRotation: true,
          hostPort: 8081,
          previousImage: 'ghcr.io/acme/shop',
          previousTag: 'v0',
        },
        expect.objectContaining({ serverId: s.b.id, status: 'absent' }),
      ]);
      expect(context.batches.map((batch) => [batch.batchNumber, batch.serverIds])).toEqual([
        [1, [s.c.id, s.a.id]],
        [2, [s.b.id]],
      ]);
    });

    it("prefers the deployment's health check path over the application's", async () => {
      const s = await scenario({ healthCheckPath: '/deep-health' });
      expect((await store.loadContext(s.deployment.id)).deployment.healthCheckPath).toBe('/deep-health');
    });

    it('reports a requested cancel', async () => {
      const s = await scenario({ status: 'in_progress', cancelRequestedAt: new Date() });
      expect((await store.loadContext(s.deployment.id)).cancelRequested).toBe(true);
    });

    it('has no load balancer server for type none', async () => {
      const team = await fixtures.team();
      const server = await fixtures.server(team.id);
      const app = await fixtures.application(team.id, [server.id]);
      const deployment = await fixtures.deployment(app.id);
      const context = await store.loadContext(deployment.id);
      expect(context.loadBalancerServer).toBeNull();
      expect(context.servers.map((target) => target.id)).toEqual([server.id]);
    });

    it('throws for a deployment that is gone', async () => {
      await expect(store.loadContext(987654)).rejects.toThrow(new RecordNotFoundError('deployment', 987654));
    });

    it('names the server whose key cannot be decrypted, never the key', async () => {
      const s = await scenario();
      await db.dataSource.getRepository(ServerEntity).update(s.a.id, {
        privateKeyEncrypted: encryptSecret('SECRET-KEY', Buffer.alloc(32, 1), serverPrivateKeyRow(s.a.id)),
      });
      const error = await store.loadContext(s.deployment.id).then(
        () => null,
        (caught: Error) => caught,
      );
      expect(error?.message).toMatch(
        /cannot read the private key of server "a" \(id \d+\): .*APP_KEY differs/,
      );
      expect(error?.message).not.toContain('SECRET-KEY');
    });
  });

  describe('ensureBatches', () => {
    it('creates the batches once; a second call returns them unchanged', async () => {
      const s = await scenario();
      const planned = [
        { batchNumber: 1, serverIds: [s.c.id, s.a.id], targetInstanceCount: 2 },
        { batchNumber: 2, serverIds: [s.b.id], targetInstanceCount: 1 },
      ];
      const first = await store.ensureBatches(s.deployment.id, planned);
      expect(first).toEqual([
        {
          id: expect.any(Number),
          batchNumber: 1,
          totalBatches: 2,
          serverIds: [s.c.id, s.a.id],
          targetInstanceCount: 2,
          status: 'pending',
          startedAt: null,
          completedAt: null,
          successfulInstances: 0,
          failedInstances: 0,
          healthCheckResults: {},
          failureReason: null,
        },
        expect.objectContaining({ batchNumber: 2, totalBatches: 2, serverIds: [s.b.id] }),
      ]);
      await store.updateBatch(first[0].id, { status: 'completed' });

      const again = await store.ensureBatches(s.deployment.id, [
        { batchNumber: 1, serverIds: [s.b.id], targetInstanceCount: 9 },
      ]);
      expect(again.map((batch) => batch.id)).toEqual(first.map((batch) => batch.id));
      expect(again[0]).toMatchObject({
        serverIds: [s.c.id, s.a.id],
        targetInstanceCount: 2,
        status: 'completed',
      });
    });

    it('survives two workers creating the same batches at once', async () => {
      const s = await scenario();
      const planned = [{ batchNumber: 1, serverIds: [s.a.id], targetInstanceCount: 1 }];
      const [one, two] = await Promise.all([
        store.ensureBatches(s.deployment.id, planned),
        store.ensureBatches(s.deployment.id, planned),
      ]);
      expect(one).toHaveLength(1);
      expect(two).toEqual(one);
    });
  });

  describe('updates', () => {
    it('updateDeployment writes only the given fields and returns the contract view', async () => {
      const s = await scenario();
      const startedAt = new Date('2025-01-02T03:04:05.678Z');
      const view = await store.updateDeployment(s.deployment.id, {
        status: 'in_progress',
        startedAt,
        totalBatches: 2,
        previousImage: 'ghcr.io/acme/shop',
        previousTag: 'v1',
      });
      expect(Object.keys(view)).toEqual([
        'id',
        'applicationId',
        'strategy',
        'status',
        'image',
        'tag',
        'previousImage',
        'previousTag',
        'batchSize',
        'batchSizeIsPercentage',
        'waitInterval',
        'healthCheckPath',
        'healthCheckTimeout',
        'healthCheckInterval',
        'maxHealthCheckRetries',
        'minimumHealthyInstances',
        'autoRollbackOnFailure',
        'failureThreshold',
        'totalBatches',
        'completedBatches',
        'failedBatches',
        'failureReason',
        'createdAt',
        'startedAt',
        'completedAt',
      ]);
      expect(view).toMatchObject({
        status: 'in_progress',
        strategy: 'rolling',
        startedAt: '2025-01-02T03:04:05.678Z',
        completedAt: null,
        totalBatches: 2,
        previousTag: 'v1',
        batchSize: 25,
        batchSizeIsPercentage: true,
        failureReason: null,
      });
      expect(view.createdAt).toMatch(ISO);

      const later = await store.updateDeployment(s.deployment.id, {
        completedBatches: 1,
        failureReason: undefined,
      });
      expect(later).toMatchObject({ status: 'in_progress', completedBatches: 1, totalBatches: 2 });
      expect((await store.loadContext(s.deployment.id)).deployment.status).toBe('in_progress');
    });

    it('updateDeployment and updateBatch throw for missing rows', async () => {
      await expect(store.updateDeployment(987654, { status: 'failed' })).rejects.toThrow(RecordNotFoundError);
      await expect(store.updateBatch(987654, { status: 'failed' })).rejects.toThrow(RecordNotFoundError);
      await expect(store.loadContext(987654)).rejects.toThrow(RecordNotFoundError);
    });

    it('updateBatch stores health check results and returns the batch view', async () => {
      const s = await scenario();
      const [batch] = await store.ensureBatches(s.deployment.id, [
        { batchNumber: 1, serverIds: [s.a.id], targetInstanceCount: 1 },
      ]);
      const result = { healthy: false, statusCode: 503, attempts: 3, elapsedMs: 840.5, message: 'HTTP 503' };
      const view = await store.updateBatch(batch.id, {
        status: 'rolled_back',
        completedAt: new Date('2025-05-06T07:08:09.010Z'),
        failedInstances: 1,
        healthCheckResults: { [String(s.a.id)]: result },
        failureReason: `server a: health check failed: HTTP 503`,
      });
      expect(view).toEqual({
        ...batch,
        status: 'rolled_back',
        completedAt: '2025-05-06T07:08:09.010Z',
        failedInstances: 1,
        healthCheckResults: { [String(s.a.id)]: result },
        failureReason: 'server a: health check failed: HTTP 503',
      });
    });
  });

  it('saveInstance inserts, then overwrites the same server', async () => {
    const s = await scenario();
    const instance: InstanceState = {
      serverId: s.b.id,
      image: 'ghcr.io/acme/shop',
      tag: 'v1',
      status: 'running',
      inRotation: true,
      hostPort: 8080,
      previousImage: null,
      previousTag: null,
    };
    await store.saveInstance(s.app.id, instance);
    await store.saveInstance(s.app.id, {
      ...instance,
      tag: 'v2',
      inRotation: false,
      previousTag: 'v1',
      previousImage: 'x',
    });
    const rows = await db.dataSource
      .getRepository(ApplicationInstanceEntity)
      .findBy({ applicationId: s.app.id });
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ tag: 'v2', inRotation: false, previousTag: 'v1', previousImage: 'x' });
  });

  it('appendEvent keeps the events in the order they happened', async () => {
    const s = await scenario();
    await store.appendEvent({
      deploymentId: s.deployment.id,
      batchNumber: null,
      serverId: null,
      type: 'started',
      message: 'go',
    });
    await store.appendEvent({
      deploymentId: s.deployment.id,
      batchNumber: 1,
      serverId: s.a.id,
      type: 'pulling',
      message: 'pulling v2',
      data: { image: 'ghcr.io/acme/shop:v2' },
    });
    await store.appendEvent({
      deploymentId: s.deployment.id,
      batchNumber: 1,
      serverId: s.a.id,
      type: 'healthy',
      message: 'ok',
    });
    const events = await db.dataSource
      .getRepository(DeploymentEventEntity)
      .find({ where: { deploymentId: s.deployment.id }, order: { id: 'ASC' } });
    expect(events.map((event) => [event.type, event.batchNumber, event.serverId, event.data])).toEqual([
      ['started', null, null, null],
      ['pulling', 1, s.a.id, { image: 'ghcr.io/acme/shop:v2' }],
      ['healthy', 1, s.a.id, null],
    ]);
  });
});

describe('TypeormHostKeyPinning', () => {
  let db: TestDatabase;
  let fixtures: Fixtures;
  let pinning: TypeormHostKeyPinning;

  beforeAll(async () => {
    db = await createTestDatabase();
    fixtures = new Fixtures(db.dataSource);
    pinning = new TypeormHostKeyPinning(db.dataSource);
  }, 30_000);
  afterAll(() => db?.drop());

  async function fingerprintOf(serverId: number): Promise<string | null> {
    return (await db.dataSource.getRepository(ServerEntity).findOneByOrFail({ id: serverId }))
      .hostKeyFingerprint;
  }

  it('pins the first key seen', async () => {
    const server = await fixtures.server((await fixtures.team()).id);
    await pinning.pin(server.id, 'SHA256:first');
    expect(await fingerprintOf(server.id)).toBe('SHA256:first');
    await expect(pinning.pin(server.id, 'SHA256:first')).resolves.toBeUndefined();
  });

  it('never overwrites a pinned key, and refuses a different one', async () => {
    const server = await fixtures.server((await fixtures.team()).id, {
      name: 'web-9',
      hostKeyFingerprint: 'SHA256:known',
    });
    const error = await pinning.pin(server.id, 'SHA256:other').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RemoteConnectionError);
    expect(error).toMatchObject({ serverName: 'web-9', message: expect.stringContaining('SHA256:known') });
    expect(await fingerprintOf(server.id)).toBe('SHA256:known');
  });

  it('lets exactly one of two racing first connections win', async () => {
    const server = await fixtures.server((await fixtures.team()).id);
    const results = await Promise.allSettled([
      pinning.pin(server.id, 'SHA256:one'),
      pinning.pin(server.id, 'SHA256:two'),
    ]);
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
    const winner = results[0].status === 'fulfilled' ? 'SHA256:one' : 'SHA256:two';
    expect(await fingerprintOf(server.id)).toBe(winner);
  });

  it('throws for a server that is gone', async () => {
    await expect(pinning.pin(987654, 'SHA256:x')).rejects.toThrow(RecordNotFoundError);
  });
});
