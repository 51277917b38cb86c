import { bearer, createTestApp, type TestApp } from '../support/app';
import {
  createApplication,
  createDeployment,
  createServers,
  expectErrorBody,
  rowCounts,
  storedDeployment,
  type Servers,
} from './api-fixtures';

/** Plan preview, pause/resume and the events timeline (README: "Steering a rollout"). */
describe('/api/deployments/:id/{plan,pause,resume,events}', () => {
  let t: TestApp;
  let acme: string;
  let globex: string;
  let reader: string;
  let servers: Servers<4>;

  beforeAll(async () => {
    t = await createTestApp();
    acme = await t.tokenFor('acme');
    globex = await t.tokenFor('globex');
    reader = await t.tokenFor('acme', { scope: 'read' });
    servers = await createServers(t, acme, 4);
  });
  afterAll(async () => {
    await t?.close();
  });
  beforeEach(() => t.queue.clear());

  const app = (overrides = {}) =>
    createApplication(
      t,
      acme,
      servers.map((server) => server.id),
      { healthCheckPath: '/ready', ...overrides },
    );
  const post = (path: string, body: object = {}, token = acme) =>
    t.http.post(path).set(bearer(token)).send(body);
  const setStatus = (id: number, status: string) =>
    t.db.dataSource.query(`UPDATE deployments SET status = $2 WHERE id = $1`, [id, status]);
  const recordInstances = (applicationId: number, tag: string, inRotation: number[]) =>
    t.db.dataSource.query(
      `INSERT INTO application_instances (application_id, server_id, docker_image, docker_tag, status, in_rotation, host_port)
       SELECT $1, id, 'ghcr.io/acme/shop', $2, 'running', id = ANY($4::int[]), 8080 FROM unnest($3::int[]) AS id`,
      [applicationId, tag, servers.map((server) => server.id), inRotation],
    );

  describe('plan', () => {
    it('answers the batches, the fewest in rotation, an estimate and warnings, and changes nothing', async () => {
      const application = await app();
      const ids = servers.map((server) => server.id);
      await recordInstances(application.id, 'v1', ids.slice(0, 3));
      const deployment = await createDeployment(t, acme, application.id, 'v2');
      const before = await rowCounts(t);
      const response = await post(`/api/deployments/${deployment.id}/plan`, {
        batchSize: 50,
        waitInterval: 10,
        healthCheckInterval: 2,
      });
      expect(response.status).toBe(200);
      expect(response.body).toEqual({
        batches: [
          { batchNumber: 1, serverIds: ids.slice(0, 2) },
          { batchNumber: 2, serverIds: ids.slice(2, 4) },
        ],
        // Three in rotation; batch 1 takes two of them out.
        minimumInRotation: 1,
        // No history yet: drain 0 (no load balancer) + 10 s swap + 2 s probe per batch, one 10 s wait.
        estimatedSeconds: 2 * 12 + 10,
        warnings: [],
      });
      expect(await rowCounts(t)).toEqual(before);
      expect((await storedDeployment(t, deployment.id)).status).toBe('pending');
      expect(t.queue.enqueued).toEqual([]);
    });

    it('warns about a first deployment with nothing to go back to', async () => {
      const application = await app();
      const deployment = await createDeployment(t, acme, application.id, 'v1');
      const response = await post(`/api/deployments/${deployment.id}/plan`, {
        batchSize: 100,
        minimumHealthyInstances: 0,
      });
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({ minimumInRotation: 0 });
      expect((response.body as { warnings: string[] }).warnings).toEqual([
        `No previous version of ${application.name} to go back to: a failed batch cannot be restored and the rollout cannot be rolled back`,
      ]);
    });

    it("adds the servers' capacity shortages to the warnings, checked for the plan's order", async () => {
      const application = await app();
      const deployment = await createDeployment(t, acme, application.id);
      const short =
        'Server web-3 has insufficient capacity: 120 MB memory free, 256 MB required (checked for stop-first)';
      t.capacity.report = [short];
      try {
        const response = await post(`/api/deployments/${deployment.id}/plan`, {
          batchSize: 1,
          batchSizeIsPercentage: false,
        });
        expect(response.status).toBe(200);
        expect((response.body as { warnings: string[] }).warnings).toContain(short);
        expect(t.capacity.asked.at(-1)).toEqual({ deploymentId: deployment.id, order: 'stop-first' });
      } finally {
        t.capacity.report = [];
      }
    });

    it('answers 400 naming a bad field, 422 for sizing that breaks the minimum, 404 for another team', async () => {
      const application = await app();
      const deployment = await createDeployment(t, acme, application.id);
      const bad = await post(`/api/deployments/${deployment.id}/plan`, { batchSize: '5' });
      expect(bad.status).toBe(400);
      expectErrorBody(bad.body, 400);
      expect(JSON.stringify(bad.body)).toContain('batchSize');
      const tooBig = await post(`/api/deployments/${deployment.id}/plan`, {
        batchSize: 100,
        minimumHealthyInstances: 1,
      });
      expect(tooBig.status).toBe(422);
      expect((tooBig.body as { message: string }).message).toContain(
        'fewer than minimumHealthyInstances (1)',
      );
      expect((await post(`/api/deployments/${deployment.id}/plan`, {}, globex)).status).toBe(404);
      expect((await post(`/api/deployments/${deployment.id}/plan`, {}, reader)).status).toBe(403);
    });
  });

  describe('pause and resume', () => {
    it('pauses a queued or running rollout (202), and answers 409 for anything else', async () => {
      const application = await app();
      const deployment = await createDeployment(t, acme, application.id);
      const pending = await post(`/api/deployments/${deployment.id}/pause`);
      expect(pending.status).toBe(409);
      expectErrorBody(pending.body, 409);
      expect((pending.body as { message: string }).message).toBe(
        `Deployment ${deployment.id} is pending; only a queued or in-progress deployment can be paused`,
      );

      expect(
        (
          await post(`/api/deployments/${deployment.id}/rolling-update`, {
            batchSize: 1,
            batchSizeIsPercentage: false,
          })
        ).status,
      ).toBe(202);
      const paused = await post(`/api/deployments/${deployment.id}/pause`);
      expect(paused.status).toBe(202);
      expect(paused.body).toMatchObject({ id: deployment.id, status: 'queued' });
      expect((await storedDeployment(t, deployment.id)).pause_requested_at).not.toBeNull();
      // Asking again before the worker honours it changes nothing.
      expect((await post(`/api/deployments/${deployment.id}/pause`)).status).toBe(202);
      expect((await post(`/api/deployments/${deployment.id}/resume`)).status).toBe(409);

      await setStatus(deployment.id, 'paused');
      const again = await post(`/api/deployments/${deployment.id}/pause`);
      expect(again.status).toBe(409);
      expect((again.body as { message: string }).message).toContain('is paused');
      expect((await post(`/api/deployments/${deployment.id}/pause`, {}, globex)).status).toBe(404);
      expect((await post(`/api/deployments/${deployment.id}/resume`, {}, reader)).status).toBe(403);

      t.queue.clear();
      const resumed = await post(`/api/deployments/${deployment.id}/resume`);
      expect(resumed.status).toBe(202);
      expect(resumed.body).toMatchObject({ id: deployment.id, status: 'in_progress' });
      expect(t.queue.enqueued).toEqual([deployment.id]);
      expect((await storedDeployment(t, deployment.id)).pause_requested_at).toBeNull();
      // The progress deadline restarts at the resume: a pause never counts against it.
      expect((await storedDeployment(t, deployment.id)).resumed_at).not.toBeNull();
      expect((await post(`/api/deployments/${deployment.id}/resume`)).status).toBe(409);
      await setStatus(deployment.id, 'completed');
    });

    it('cancels a paused rollout at once, and a rollback of a paused one cancels it and starts the rollback', async () => {
      const application = await app();
      await recordInstances(application.id, 'v1', []);
      const first = await createDeployment(t, acme, application.id, 'v2');
      await post(`/api/deployments/${first.id}/rolling-update`, {
        batchSize: 1,
        batchSizeIsPercentage: false,
      });
      await setStatus(first.id, 'paused');
      const cancelled = await post(`/api/deployments/${first.id}/cancel`);
      expect(cancelled.status).toBe(202);
      expect(cancelled.body).toMatchObject({ status: 'cancelled' });
      expect(
        t.events.emitted.filter((e) => e.name === 'deployment.finished').map((e) => e.payload.id),
      ).toContain(first.id);

      const second = await createDeployment(t, acme, application.id, 'v3');
      await post(`/api/deployments/${second.id}/rolling-update`, {
        batchSize: 1,
        batchSizeIsPercentage: false,
      });
      await setStatus(second.id, 'paused');
      t.queue.clear();
      const rollback = await post(`/api/deployments/${second.id}/rollback`);
      expect(rollback.status).toBe(202);
      expect(rollback.body).toMatchObject({ status: 'queued', tag: 'v1' });
      expect((await storedDeployment(t, second.id)).status).toBe('cancelled');
      expect(t.queue.enqueued).toEqual([(rollback.body as { id: number }).id]);
      await setStatus((rollback.body as { id: number }).id, 'completed');
    });

    it('takes pauseAfterEachBatch as a boolean option and shows it on the deployment', async () => {
      const application = await app();
      const deployment = await createDeployment(t, acme, application.id);
      const bad = await post(`/api/deployments/${deployment.id}/rolling-update`, {
        pauseAfterEachBatch: 'yes',
      });
      expect(bad.status).toBe(400);
      expect(JSON.stringify(bad.body)).toContain('pauseAfterEachBatch');
      const started = await post(`/api/deployments/${deployment.id}/rolling-update`, {
        pauseAfterEachBatch: true,
        batchSize: 1,
        batchSizeIsPercentage: false,
      });
      expect(started.status).toBe(202);
      expect(started.body).toMatchObject({ pauseAfterEachBatch: true });
      await setStatus(deployment.id, 'completed');
    });
  });

  describe('the stricter gates', () => {
    it('takes successThreshold, startPeriod, minReadySeconds and progressDeadline, and shows them', async () => {
      const application = await app();
      const deployment = await createDeployment(t, acme, application.id);
      const started = await post(`/api/deployments/${deployment.id}/rolling-update`, {
        successThreshold: 3,
        startPeriod: 12.5,
        minReadySeconds: 5,
        progressDeadline: 300,
        batchSize: 1,
        batchSizeIsPercentage: false,
      });
      expect(started.status).toBe(202);
      expect(started.body).toMatchObject({
        successThreshold: 3,
        startPeriod: 12.5,
        minReadySeconds: 5,
        progressDeadline: 300,
      });
      await setStatus(deployment.id, 'completed');
    });

    it('takes a progressDeadline of 0 as none', async () => {
      const application = await app();
      const deployment = await createDeployment(t, acme, application.id);
      const started = await post(`/api/deployments/${deployment.id}/rolling-update`, { progressDeadline: 0 });
      expect(started.status).toBe(202);
      expect(started.body).toMatchObject({ progressDeadline: null });
      await setStatus(deployment.id, 'completed');
    });

    it.each([
      [{ successThreshold: 0 }, 'successThreshold'],
      [{ successThreshold: 1.5 }, 'successThreshold'],
      [{ successThreshold: '2' }, 'successThreshold'],
      [{ startPeriod: -1 }, 'startPeriod'],
      [{ startPeriod: 86_401 }, 'startPeriod'],
      [{ minReadySeconds: 'soon' }, 'minReadySeconds'],
      [{ progressDeadline: 1e9 }, 'progressDeadline'],
    ])('answers 400 naming the field for %j and changes nothing', async (body, field) => {
      const application = await app();
      const deployment = await createDeployment(t, acme, application.id);
      const response = await post(`/api/deployments/${deployment.id}/rolling-update`, body);
      expect(response.status).toBe(400);
      expect(JSON.stringify(response.body)).toContain(field);
      expect((await storedDeployment(t, deployment.id)).status).toBe('pending');
    });
  });

  describe('events', () => {
    it('replays the timeline oldest first, after a given id, with a page size', async () => {
      const application = await app();
      const deployment = await createDeployment(t, acme, application.id);
      await post(`/api/deployments/${deployment.id}/rolling-update`, {
        batchSize: 1,
        batchSizeIsPercentage: false,
      });
      await t.db.dataSource.query(
        `INSERT INTO deployment_events (deployment_id, batch_number, server_id, type, message)
         VALUES ($1, 1, $2, 'pulling', 'Pulling v2'), ($1, 1, $2, 'healthy', 'Health check passed')`,
        [deployment.id, servers[0].id],
      );
      const all = await t.http.get(`/api/deployments/${deployment.id}/events`).set(bearer(reader));
      expect(all.status).toBe(200);
      const events = all.body as { id: number; at: string; phase: string; serverId: number | null }[];
      expect(events.map((e) => e.phase)).toEqual(['queued', 'pulling', 'healthy']);
      expect(events[1]).toEqual({
        id: expect.any(Number) as number,
        at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) as string,
        batchNumber: 1,
        serverId: servers[0].id,
        phase: 'pulling',
        message: 'Pulling v2',
      });
      const ids = events.map((e) => e.id);
      expect([...ids].sort((a, b) => a - b)).toEqual(ids);
      const after = await t.http
        .get(`/api/deployments/${deployment.id}/events?afterId=${ids[0]}&limit=1`)
        .set(bearer(reader));
      expect((after.body as { id: number }[]).map((e) => e.id)).toEqual([ids[1]]);
      await setStatus(deployment.id, 'completed');
    });

    it.each(['-1', 'abc', '1.5', '0x10', '99999999999'])('answers 400 for afterId=%s', async (afterId) => {
      const application = await app();
      const deployment = await createDeployment(t, acme, application.id);
      const response = await t.http
        .get(`/api/deployments/${deployment.id}/events?afterId=${encodeURIComponent(afterId)}`)
        .set(bearer(acme));
      expect(response.status).toBe(400);
      expect(JSON.stringify(response.body)).toContain('afterId');
    });

    it("answers 404 for another team's deployment and 400 for a limit out of range", async () => {
      const application = await app();
      const deployment = await createDeployment(t, acme, application.id);
      expect((await t.http.get(`/api/deployments/${deployment.id}/events`).set(bearer(globex))).status).toBe(
        404,
      );
      const limit = await t.http.get(`/api/deployments/${deployment.id}/events?limit=0`).set(bearer(acme));
      expect(limit.status).toBe(400);
      expect(JSON.stringify(limit.body)).toContain('limit');
    });
  });
});
