import { bearer, createTestApp, type TestApp } from '../support/app';
import { bodyOf, errorOf } from '../support/bodies';
import { queryRows } from '../support/sql';
import {
  createApplication,
  createDeployment,
  createServers,
  expectErrorBody,
  expectNoPrivateKeySent,
  rowCounts,
  storedDeployment,
  type Servers,
} from './api-fixtures';

const CONTRACT_DEFAULTS = {
  batchSize: 25,
  batchSizeIsPercentage: true,
  waitInterval: 30,
  healthCheckPath: '/ready',
  healthCheckTimeout: 120,
  healthCheckInterval: 5,
  maxHealthCheckRetries: 10,
  minimumHealthyInstances: 1,
  autoRollbackOnFailure: true,
  failureThreshold: 2,
  pauseAfterEachBatch: false,
  successThreshold: 1,
  startPeriod: 0,
  minReadySeconds: 0,
  progressDeadline: null,
  order: 'stop-first',
};

describe('/api/deployments', () => {
  let t: TestApp;
  let acme: string;
  let globex: string;
  let servers: Servers<4>;

  beforeAll(async () => {
    t = await createTestApp();
    acme = await t.tokenFor('acme');
    globex = await t.tokenFor('globex');
    servers = await createServers(t, acme, 4);
  });
  afterAll(async () => {
    await t?.close();
    expectNoPrivateKeySent(t);
  });
  beforeEach(() => t.queue.clear());

  const fourServerApp = (overrides = {}) =>
    createApplication(
      t,
      acme,
      servers.map((server) => server.id),
      { healthCheckPath: '/ready', ...overrides },
    );

  const rollingUpdate = (id: number, body: object = {}, token = acme) =>
    t.http.post(`/api/deployments/${id}/rolling-update`).set(bearer(token)).send(body);

  /** Records what runs on the application's servers, as the worker would. */
  const recordInstances = (applicationId: number, tag: string) =>
    t.db.dataSource.query(
      `INSERT INTO application_instances (application_id, server_id, docker_image, docker_tag, status, in_rotation, host_port)
       SELECT $1, id, 'ghcr.io/acme/shop', $2, 'running', true, 8080 FROM unnest($3::int[]) AS id`,
      [applicationId, tag, servers.map((server) => server.id)],
    );

  it('creates a pending deployment (201) with the application’s image by default', async () => {
    const app = await fourServerApp();
    const response = await t.http
      .post('/api/deployments')
      .set(bearer(acme))
      .send({ applicationId: app.id, tag: 'v2' });
    expect(response.status).toBe(201);
    expect(response.body).toEqual({
      id: expect.any(Number) as number,
      applicationId: app.id,
      strategy: 'rolling',
      status: 'pending',
      image: 'ghcr.io/acme/shop',
      tag: 'v2',
      previousImage: null,
      previousTag: null,
      ...CONTRACT_DEFAULTS,
      totalBatches: 0,
      completedBatches: 0,
      failedBatches: 0,
      failureReason: null,
      resumeCount: 0,
      lastResumedAt: null,
      createdAt: expect.any(String) as string,
      startedAt: null,
      completedAt: null,
    });
    expect(t.queue.enqueued).toEqual([]);
  });

  it('takes a given image, and records what runs now as the previous version', async () => {
    const app = await fourServerApp();
    await recordInstances(app.id, 'v1');
    const deployment = await t.http
      .post('/api/deployments')
      .set(bearer(acme))
      .send({ applicationId: app.id, image: 'registry.example.com:5000/acme/shop-next', tag: 'v3' });
    expect(deployment.status).toBe(201);
    expect(deployment.body).toMatchObject({
      image: 'registry.example.com:5000/acme/shop-next',
      tag: 'v3',
      previousImage: 'ghcr.io/acme/shop',
      previousTag: 'v1',
    });
  });

  it('answers 404 for another team’s application and writes nothing', async () => {
    const app = await fourServerApp();
    const before = await rowCounts(t);
    const response = await t.http
      .post('/api/deployments')
      .set(bearer(globex))
      .send({ applicationId: app.id, tag: 'v2' });
    expect(response.status).toBe(404);
    expect(errorOf(response).message).toBe(`Application ${app.id} not found`);
    expect(await rowCounts(t)).toEqual(before);
  });

  it('starts a rolling update (202): stores the options, queues it and enqueues its id', async () => {
    const app = await fourServerApp();
    const deployment = await createDeployment(t, acme, app.id);
    const options = {
      batchSize: 50,
      batchSizeIsPercentage: true,
      waitInterval: 0.5,
      healthCheckPath: '/healthz?full=1',
      healthCheckTimeout: 0.2,
      healthCheckInterval: 0.01,
      maxHealthCheckRetries: 3,
      minimumHealthyInstances: 2,
      autoRollbackOnFailure: false,
      failureThreshold: 1,
    };
    const response = await rollingUpdate(deployment.id, options);
    expect(response.status).toBe(202);
    expect(response.body).toMatchObject({ ...options, id: deployment.id, status: 'queued', totalBatches: 2 });
    expect(t.queue.enqueued).toEqual([deployment.id]);
    const stored = await storedDeployment(t, deployment.id);
    expect(stored).toMatchObject({
      status: 'queued',
      batch_size: 50,
      wait_interval: 0.5,
      health_check_timeout: 0.2,
    });
    const shown = await t.http.get(`/api/deployments/${deployment.id}`).set(bearer(acme));
    expect(shown.status).toBe(200);
    expect(shown.body).toEqual(response.body);
  });

  it('applies the contract defaults, with the application’s health check path', async () => {
    const app = await fourServerApp();
    const deployment = await createDeployment(t, acme, app.id);
    const response = await rollingUpdate(deployment.id);
    expect(response.status).toBe(202);
    expect(response.body).toMatchObject({ ...CONTRACT_DEFAULTS, status: 'queued', totalBatches: 4 });
  });

  it('answers 409 when the deployment is no longer pending, and does not enqueue again', async () => {
    const app = await fourServerApp();
    const deployment = await createDeployment(t, acme, app.id);
    expect((await rollingUpdate(deployment.id)).status).toBe(202);
    const again = await rollingUpdate(deployment.id);
    expect(again.status).toBe(409);
    expectErrorBody(again.body, 409);
    expect(errorOf(again).message).toBe(`Deployment ${deployment.id} is queued, not pending`);
    expect(t.queue.enqueued).toEqual([deployment.id]);
  });

  it('answers 409 for a second rollout of the same application while one is queued (the database index)', async () => {
    const app = await fourServerApp();
    const first = await createDeployment(t, acme, app.id, 'v2');
    const second = await createDeployment(t, acme, app.id, 'v3');
    expect((await rollingUpdate(first.id)).status).toBe(202);
    const response = await rollingUpdate(second.id);
    expect(response.status).toBe(409);
    expect(errorOf(response).message).toBe(
      `A deployment of application ${app.name} is already queued or in progress`,
    );
    expect((await storedDeployment(t, second.id)).status).toBe('pending');
    expect(t.queue.enqueued).toEqual([first.id]);
  });

  it('answers 422 when the batches would leave fewer than minimumHealthyInstances serving', async () => {
    const app = await fourServerApp();
    const deployment = await createDeployment(t, acme, app.id);
    const before = await rowCounts(t);
    const response = await rollingUpdate(deployment.id, { batchSize: 50, minimumHealthyInstances: 3 });
    expect(response.status).toBe(422);
    expectErrorBody(response.body, 422);
    expect(errorOf(response).error).toBe('Unprocessable Entity');
    expect(errorOf(response).message).toContain('minimumHealthyInstances');
    expect(await rowCounts(t)).toEqual(before);
    expect((await storedDeployment(t, deployment.id)).status).toBe('pending');
    expect(t.queue.enqueued).toEqual([]);
    expect(
      (
        await rollingUpdate(deployment.id, {
          batchSize: 1,
          batchSizeIsPercentage: false,
          minimumHealthyInstances: 3,
        })
      ).status,
    ).toBe(202);
  });

  describe('order', () => {
    const behindHaproxy = (serverIds: number[]) =>
      createApplication(t, acme, serverIds, {
        loadBalancer: { type: 'haproxy', serverId: servers[3].id, backend: 'shop' },
      });

    it('defaults to start-first for one server behind a load balancer: no special minimum needed', async () => {
      const app = await behindHaproxy([servers[0].id]);
      const deployment = await createDeployment(t, acme, app.id);
      const response = await rollingUpdate(deployment.id);
      expect(response.status).toBe(202);
      expect(response.body).toMatchObject({
        order: 'start-first',
        minimumHealthyInstances: 1,
        totalBatches: 1,
      });
    });

    it('accepts all at once with start-first and refuses it with stop-first, naming the way out', async () => {
      const app = await behindHaproxy(servers.map((server) => server.id));
      const deployment = await createDeployment(t, acme, app.id);
      const stopFirst = await rollingUpdate(deployment.id, { batchSize: 100, order: 'stop-first' });
      expect(stopFirst.status).toBe(422);
      expect(errorOf(stopFirst).message).toBe(
        'Batches of 4 of 4 servers would leave 0 serving, fewer than minimumHealthyInstances (1); order start-first keeps every server serving',
      );
      const startFirst = await rollingUpdate(deployment.id, { batchSize: 100, order: 'start-first' });
      expect(startFirst.status).toBe(202);
      expect(startFirst.body).toMatchObject({ order: 'start-first', totalBatches: 1 });
    });

    it('keeps stop-first without a load balancer and refuses start-first there (422), changing nothing', async () => {
      const app = await createApplication(t, acme, [servers[0].id]);
      const deployment = await createDeployment(t, acme, app.id);
      const before = await rowCounts(t);
      const refused = await rollingUpdate(deployment.id, { order: 'start-first' });
      expect(refused.status).toBe(422);
      expect(errorOf(refused).message).toMatch(/^order start-first needs a load balancer/);
      expect(await rowCounts(t)).toEqual(before);
      expect((await storedDeployment(t, deployment.id)).status).toBe('pending');
      // stop-first by default, which on one server needs minimumHealthyInstances 0
      const defaulted = await rollingUpdate(deployment.id, { minimumHealthyInstances: 0 });
      expect(defaulted.status).toBe(202);
      expect(defaulted.body).toMatchObject({ order: 'stop-first' });
    });

    it.each([['sideways'], ['START-FIRST'], [1], [['start-first']]])(
      'answers 400 naming order for %j and changes nothing',
      async (order) => {
        const app = await fourServerApp();
        const deployment = await createDeployment(t, acme, app.id);
        const response = await rollingUpdate(deployment.id, { order });
        expect(response.status).toBe(400);
        expect(errorOf(response).message).toEqual(['order must be one of: stop-first, start-first']);
        expect((await storedDeployment(t, deployment.id)).status).toBe('pending');
        expect(t.queue.enqueued).toEqual([]);
      },
    );
  });

  it('puts the deployment back to pending when the queue refuses the job', async () => {
    const app = await fourServerApp();
    const deployment = await createDeployment(t, acme, app.id);
    t.queue.failNext();
    const response = await rollingUpdate(deployment.id);
    expect(response.status).toBe(500);
    expect(response.body).toEqual({
      statusCode: 500,
      error: 'Internal Server Error',
      message: 'Internal server error',
    });
    expect((await storedDeployment(t, deployment.id)).status).toBe('pending');
    expect((await rollingUpdate(deployment.id)).status).toBe(202);
  });

  it('shows the batches in order, in the contract shape', async () => {
    const app = await fourServerApp();
    const deployment = await createDeployment(t, acme, app.id);
    const result = {
      healthy: true,
      statusCode: 200,
      attempts: 2,
      elapsedMs: 840,
      message: 'Health check passed',
    };
    await t.db.dataSource.query(
      `INSERT INTO deployment_batches (deployment_id, batch_number, total_batches, server_ids, target_instance_count,
         status, successful_instances, health_check_results)
       VALUES ($1, 2, 2, $3, 1, 'pending', 0, '{}'), ($1, 1, 2, $2, 1, 'completed', 2, $4)`,
      [
        deployment.id,
        [servers[0].id, servers[1].id],
        [servers[2].id, servers[3].id],
        { [servers[0].id]: result },
      ],
    );
    const response = await t.http.get(`/api/deployments/${deployment.id}/batches`).set(bearer(acme));
    expect(response.status).toBe(200);
    expect(response.body).toEqual([
      {
        id: expect.any(Number) as number,
        batchNumber: 1,
        totalBatches: 2,
        serverIds: [servers[0].id, servers[1].id],
        targetInstanceCount: 1,
        status: 'completed',
        startedAt: null,
        completedAt: null,
        successfulInstances: 2,
        failedInstances: 0,
        healthCheckResults: { [servers[0].id]: result },
        failureReason: null,
        serverOutcomes: { [servers[0].id]: 'untouched', [servers[1].id]: 'untouched' },
        createdAt: expect.any(String) as string,
        updatedAt: expect.any(String) as string,
      },
      expect.objectContaining({
        batchNumber: 2,
        status: 'pending',
        serverIds: [servers[2].id, servers[3].id],
      }),
    ]);
  });

  it('lists the history newest first, by application, only for the team', async () => {
    const app = await fourServerApp();
    const other = await fourServerApp();
    const first = await createDeployment(t, acme, app.id, 'v2');
    const second = await createDeployment(t, acme, app.id, 'v3');
    const elsewhere = await createDeployment(t, acme, other.id, 'v9');
    const byApp = await t.http.get(`/api/deployments?applicationId=${app.id}`).set(bearer(acme));
    expect(byApp.status).toBe(200);
    expect(bodyOf<{ id: number }[]>(byApp).map((d) => d.id)).toEqual([second.id, first.id]);
    const all = await t.http.get('/api/deployments').set(bearer(acme));
    expect(
      bodyOf<{ id: number }[]>(all)
        .map((d) => d.id)
        .slice(0, 3),
    ).toEqual([elsewhere.id, second.id, first.id]);
    expect((await t.http.get('/api/deployments').set(bearer(globex))).body).toEqual([]);
    const foreign = await t.http.get(`/api/deployments?applicationId=${app.id}`).set(bearer(globex));
    expect(foreign.status).toBe(404);
  });

  it('pages the history with limit and beforeId, newest first', async () => {
    const app = await fourServerApp();
    const created = [];
    for (const tag of ['v2', 'v3', 'v4', 'v5', 'v6'])
      created.push(await createDeployment(t, acme, app.id, tag));
    const newestFirst = created.map((d) => d.id).reverse();
    const ids = (response: { body: Array<{ id: number }> }) => response.body.map((d) => d.id);

    const first = await t.http.get(`/api/deployments?applicationId=${app.id}&limit=2`).set(bearer(acme));
    expect(ids(first)).toEqual(newestFirst.slice(0, 2));
    const second = await t.http
      .get(`/api/deployments?applicationId=${app.id}&limit=2&beforeId=${newestFirst[1]}`)
      .set(bearer(acme));
    expect(ids(second)).toEqual(newestFirst.slice(2, 4));
    const last = await t.http
      .get(`/api/deployments?applicationId=${app.id}&limit=2&beforeId=${newestFirst[3]}`)
      .set(bearer(acme));
    expect(ids(last)).toEqual(newestFirst.slice(4));
    const rest = await t.http
      .get(`/api/deployments?applicationId=${app.id}&beforeId=${newestFirst[0]}`)
      .set(bearer(acme));
    expect(ids(rest)).toEqual(newestFirst.slice(1));
  });

  it('answers 404 on every deployment route for another team’s deployment', async () => {
    const app = await fourServerApp();
    const deployment = await createDeployment(t, acme, app.id);
    const routes = [
      t.http.get(`/api/deployments/${deployment.id}`),
      t.http.get(`/api/deployments/${deployment.id}/batches`),
      t.http.post(`/api/deployments/${deployment.id}/rolling-update`).send({}),
      t.http.post(`/api/deployments/${deployment.id}/cancel`),
      t.http.post(`/api/deployments/${deployment.id}/rollback`),
    ];
    for (const route of routes) {
      const response = await route.set(bearer(globex));
      expect(response.status).toBe(404);
      expect(errorOf(response).message).toBe(`Deployment ${deployment.id} not found`);
    }
    expect((await storedDeployment(t, deployment.id)).status).toBe('pending');
    expect(t.queue.enqueued).toEqual([]);
  });

  describe('cancel', () => {
    it('cancels a queued deployment at once (202), freeing the application', async () => {
      const app = await fourServerApp();
      const deployment = await createDeployment(t, acme, app.id);
      await rollingUpdate(deployment.id);
      const response = await t.http.post(`/api/deployments/${deployment.id}/cancel`).set(bearer(acme));
      expect(response.status).toBe(202);
      expect(response.body).toMatchObject({
        id: deployment.id,
        status: 'cancelled',
        completedAt: expect.any(String) as string,
      });
      const announced = t.events.emitted.filter((e) => 'id' in e.payload && e.payload.id === deployment.id);
      expect(announced.map((e) => [e.name, 'status' in e.payload ? e.payload.status : null])).toEqual([
        ['deployment.updated', 'queued'],
        ['deployment.updated', 'cancelled'],
        ['deployment.finished', 'cancelled'],
      ]);
      const next = await createDeployment(t, acme, app.id, 'v3');
      expect((await rollingUpdate(next.id)).status).toBe(202);
    });

    it('asks the worker to stop an in-progress rollout: the status stays until it does', async () => {
      const app = await fourServerApp();
      const deployment = await createDeployment(t, acme, app.id);
      await rollingUpdate(deployment.id);
      await t.db.dataSource.query(`UPDATE deployments SET status = 'in_progress' WHERE id = $1`, [
        deployment.id,
      ]);
      const response = await t.http.post(`/api/deployments/${deployment.id}/cancel`).set(bearer(acme));
      expect(response.status).toBe(202);
      expect(bodyOf<{ status: string }>(response).status).toBe('in_progress');
      expect((await storedDeployment(t, deployment.id)).cancel_requested_at).toBeInstanceOf(Date);
      const events = await queryRows<{ type: string }>(
        t.db.dataSource,
        `SELECT type FROM deployment_events WHERE deployment_id = $1 ORDER BY id`,
        [deployment.id],
      );
      expect(events.map((event) => event.type)).toEqual(['queued', 'cancel_requested']);
    });

    it.each(['pending', 'completed', 'cancelled'])('answers 409 for a %s deployment', async (status) => {
      const app = await fourServerApp();
      const deployment = await createDeployment(t, acme, app.id);
      await t.db.dataSource.query(`UPDATE deployments SET status = $2 WHERE id = $1`, [
        deployment.id,
        status,
      ]);
      const response = await t.http.post(`/api/deployments/${deployment.id}/cancel`).set(bearer(acme));
      expect(response.status).toBe(409);
      expect(errorOf(response).message).toContain(status);
      expect((await storedDeployment(t, deployment.id)).status).toBe(status);
    });
  });

  describe('rollback', () => {
    it('queues a new deployment back to the previous version with the same options (202)', async () => {
      const app = await fourServerApp();
      await recordInstances(app.id, 'v1');
      const deployment = await createDeployment(t, acme, app.id, 'v2');
      await rollingUpdate(deployment.id, { batchSize: 1, batchSizeIsPercentage: false, waitInterval: 0 });
      await t.db.dataSource.query(`UPDATE deployments SET status = 'completed' WHERE id = $1`, [
        deployment.id,
      ]);
      t.queue.clear();
      const response = await t.http.post(`/api/deployments/${deployment.id}/rollback`).set(bearer(acme));
      expect(response.status).toBe(202);
      expect(response.body).toMatchObject({
        applicationId: app.id,
        status: 'queued',
        image: 'ghcr.io/acme/shop',
        tag: 'v1',
        previousImage: 'ghcr.io/acme/shop',
        previousTag: 'v2',
        batchSize: 1,
        batchSizeIsPercentage: false,
        waitInterval: 0,
        totalBatches: 4,
      });
      const { id } = bodyOf<{ id: number }>(response);
      expect(id).not.toBe(deployment.id);
      expect(t.queue.enqueued).toEqual([id]);
      expect((await storedDeployment(t, id)).rollback_of_deployment_id).toBe(deployment.id);
    });

    it('answers 422 when the deployment has no previous version, and writes nothing', async () => {
      const app = await fourServerApp();
      const deployment = await createDeployment(t, acme, app.id);
      const before = await rowCounts(t);
      const response = await t.http.post(`/api/deployments/${deployment.id}/rollback`).set(bearer(acme));
      expect(response.status).toBe(422);
      expect(errorOf(response).message).toBe(
        `Deployment ${deployment.id} has no previous version to roll back to`,
      );
      expect(await rowCounts(t)).toEqual(before);
    });

    it('answers 409 while another deployment of the application is active', async () => {
      const app = await fourServerApp();
      await recordInstances(app.id, 'v1');
      const deployment = await createDeployment(t, acme, app.id, 'v2');
      await rollingUpdate(deployment.id);
      const before = await rowCounts(t);
      const response = await t.http.post(`/api/deployments/${deployment.id}/rollback`).set(bearer(acme));
      expect(response.status).toBe(409);
      expect(errorOf(response).message).toContain(app.name);
      expect(await rowCounts(t)).toEqual(before);
    });
  });
});
