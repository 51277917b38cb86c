import type { ApplicationView } from '../../../src/applications/application.view';
import type { ServerView } from '../../../src/servers/server.view';
import { bearer, createTestApp, type TestApp } from '../support/app';
import { bodyOf, errorOf } from '../support/bodies';
import { queryRow, queryRows } from '../support/sql';
import {
  applicationBody,
  createApplication,
  createDeployment,
  createServers,
  expectErrorBody,
  expectNoPrivateKeySent,
  rowCounts,
  type Servers,
} from './api-fixtures';

describe('/api/applications', () => {
  let t: TestApp;
  let acme: string;
  let globex: string;
  let servers: Servers<4>;
  let theirServer: ServerView;

  beforeAll(async () => {
    t = await createTestApp();
    acme = await t.tokenFor('acme');
    globex = await t.tokenFor('globex');
    servers = await createServers(t, acme, 4);
    [theirServer] = await createServers(t, globex, 1);
  });
  afterAll(async () => {
    await t?.close();
    expectNoPrivateKeySent(t);
  });

  it('creates the application of the contract (201) and answers it with its id and dates', async () => {
    const body = {
      name: 'shop',
      image: 'ghcr.io/acme/shop',
      tag: 'v1',
      containerPort: 3000,
      hostPort: 8080,
      env: { NODE_ENV: 'production', EMPTY: '' },
      healthCheckPath: '/health',
      serverIds: [servers[2].id, servers[0].id, servers[1].id],
      loadBalancer: {
        type: 'traefik',
        serverId: servers[3].id,
        configPath: '/data/coolify/proxy/dynamic/shop.yaml',
        domain: 'shop.example.com',
        drainSeconds: 2.5,
      },
    };
    const response = await t.http.post('/api/applications').set(bearer(acme)).send(body);
    expect(response.status).toBe(201);
    expect(response.body).toEqual({
      ...body,
      id: expect.any(Number) as number,
      alternateHostPort: 8081,
      stopTimeout: 10,
      minFreeMemoryMb: 256,
      minFreeDiskMb: 1024,
      dockerDataPath: '/var/lib/docker',
      secretEnvKeys: [],
      createdAt: expect.any(String) as string,
      updatedAt: expect.any(String) as string,
    });
    const { id } = bodyOf<{ id: number }>(response);
    const links = await queryRows<{ server_id: number }>(
      t.db.dataSource,
      'SELECT server_id FROM application_servers WHERE application_id = $1 ORDER BY position',
      [id],
    );
    expect(links.map((link) => link.server_id)).toEqual(body.serverIds);
    const row = await queryRow<{ load_balancer_server_id: number }>(
      t.db.dataSource,
      'SELECT load_balancer_server_id FROM applications WHERE id = $1',
      [id],
    );
    expect(row.load_balancer_server_id).toBe(servers[3].id);
  });

  it.each([
    [
      'nginx',
      { type: 'nginx', configPath: '/etc/nginx/conf.d/shop.conf', listenPort: 80 },
      {
        type: 'nginx',
        configPath: '/etc/nginx/conf.d/shop.conf',
        listenPort: 80,
        domain: null,
        reloadCommand: 'nginx -s reload',
        testCommand: 'nginx -t',
        drainSeconds: 5,
      },
    ],
    [
      'haproxy',
      { type: 'haproxy', backend: 'shop_back' },
      { type: 'haproxy', backend: 'shop_back', socketPath: '/run/haproxy/admin.sock', drainSeconds: 5 },
    ],
    [
      'traefik',
      { type: 'traefik', configPath: '/etc/traefik/dynamic/shop.yml', domain: 'shop.example.com' },
      {
        type: 'traefik',
        configPath: '/etc/traefik/dynamic/shop.yml',
        domain: 'shop.example.com',
        drainSeconds: 5,
      },
    ],
  ])('applies the %s load balancer defaults', async (_type, given, expected) => {
    const lb = servers[3].id;
    const app = await createApplication(t, acme, [servers[0].id], {
      loadBalancer: { ...given, serverId: lb },
    });
    expect(app.loadBalancer).toEqual({ ...expected, serverId: lb });
    const stored = await t.http.get(`/api/applications/${app.id}`).set(bearer(acme));
    expect(bodyOf<ApplicationView>(stored).loadBalancer).toEqual({ ...expected, serverId: lb });
  });

  it('defaults env, healthCheckPath and loadBalancer ({ type: none })', async () => {
    const app = await createApplication(t, acme, [servers[0].id]);
    expect(app).toMatchObject({ env: {}, healthCheckPath: '/health', loadBalancer: { type: 'none' } });
    const none = await createApplication(t, acme, [servers[0].id], { loadBalancer: { type: 'none' } });
    expect(none.loadBalancer).toEqual({ type: 'none' });
  });

  it('lists and shows only the team’s applications; another team’s id answers 404', async () => {
    const mine = await createApplication(t, acme, [servers[0].id]);
    const theirs = await createApplication(t, globex, [theirServer.id]);
    const list = await t.http.get('/api/applications').set(bearer(acme));
    expect(list.status).toBe(200);
    const ids = bodyOf<ApplicationView[]>(list).map((app) => app.id);
    expect(ids).toContain(mine.id);
    expect(ids).not.toContain(theirs.id);
    expect((await t.http.get(`/api/applications/${mine.id}`).set(bearer(acme))).body).toEqual(mine);
    for (const path of [`/api/applications/${theirs.id}`, `/api/applications/${theirs.id}/instances`]) {
      const response = await t.http.get(path).set(bearer(acme));
      expect(response.status).toBe(404);
      expectErrorBody(response.body, 404);
      expect(errorOf(response).message).toBe(`Application ${theirs.id} not found`);
    }
    expect((await t.http.delete(`/api/applications/${theirs.id}`).set(bearer(acme))).status).toBe(404);
    expect(errorOf(await t.http.get('/api/applications/987654').set(bearer(acme))).message).toBe(
      'Application 987654 not found',
    );
  });

  it.each([
    ['an unknown server id', () => [servers[0].id, 99], () => undefined, 99],
    ['another team’s server id', () => [theirServer.id], () => undefined, () => theirServer.id],
    [
      'another team’s load balancer server',
      () => [servers[0].id],
      () => theirServer.id,
      () => theirServer.id,
    ],
  ])('answers 404 for %s and writes nothing', async (_what, ids, lbServer, missing) => {
    const lb = lbServer();
    const before = await rowCounts(t);
    const response = await t.http
      .post('/api/applications')
      .set(bearer(acme))
      .send(
        applicationBody(
          ids(),
          lb === undefined ? {} : { loadBalancer: { type: 'haproxy', serverId: lb, backend: 'b' } },
        ),
      );
    expect(response.status).toBe(404);
    expectErrorBody(response.body, 404);
    expect(errorOf(response).message).toBe(
      `Server ${typeof missing === 'function' ? missing() : missing} not found`,
    );
    expect(await rowCounts(t)).toEqual(before);
  });

  it('refuses a duplicate name in the team (409) and writes nothing', async () => {
    await createApplication(t, acme, [servers[0].id], { name: 'dup' });
    const before = await rowCounts(t);
    const response = await t.http
      .post('/api/applications')
      .set(bearer(acme))
      .send(applicationBody([servers[1].id], { name: 'dup' }));
    expect(response.status).toBe(409);
    expect(errorOf(response).message).toContain('dup');
    expect(await rowCounts(t)).toEqual(before);
  });

  it('shows one instance per server, absent where nothing is recorded', async () => {
    const app = await createApplication(t, acme, [servers[1].id, servers[0].id]);
    await t.db.dataSource.query(
      `INSERT INTO application_instances (application_id, server_id, docker_image, docker_tag, status, in_rotation, host_port)
       VALUES ($1, $2, 'ghcr.io/acme/shop', 'v2', 'running', true, 8081)`,
      [app.id, servers[0].id],
    );
    const response = await t.http.get(`/api/applications/${app.id}/instances`).set(bearer(acme));
    expect(response.status).toBe(200);
    // hostPort: the port the instance serves on now; the application's own where nothing is recorded.
    expect(response.body).toEqual([
      {
        serverId: servers[1].id,
        image: null,
        tag: null,
        status: 'absent',
        inRotation: false,
        hostPort: app.hostPort,
      },
      {
        serverId: servers[0].id,
        image: 'ghcr.io/acme/shop',
        tag: 'v2',
        status: 'running',
        inRotation: true,
        hostPort: 8081,
      },
    ]);
    expect(app.hostPort).not.toBe(8081);
  });

  it('deletes an application (204) with its server links', async () => {
    const app = await createApplication(t, acme, [servers[0].id]);
    const removal = await t.http.delete(`/api/applications/${app.id}`).set(bearer(acme));
    expect(removal.status).toBe(204);
    expect((await t.http.get(`/api/applications/${app.id}`).set(bearer(acme))).status).toBe(404);
    const links = await queryRows(
      t.db.dataSource,
      'SELECT 1 FROM application_servers WHERE application_id = $1',
      [app.id],
    );
    expect(links).toHaveLength(0);
  });

  it('refuses to delete an application with a queued deployment (409)', async () => {
    const app = await createApplication(t, acme, [servers[0].id, servers[1].id]);
    const deployment = await createDeployment(t, acme, app.id);
    const queued = await t.http
      .post(`/api/deployments/${deployment.id}/rolling-update`)
      .set(bearer(acme))
      .send({ batchSize: 1, batchSizeIsPercentage: false });
    expect(queued.status).toBe(202);
    const removal = await t.http.delete(`/api/applications/${app.id}`).set(bearer(acme));
    expect(removal.status).toBe(409);
    expect(errorOf(removal).message).toContain(app.name);
  });
});
