import type { ApplicationView } from '../../../src/applications/application.view';
import type { ServerView } from '../../../src/servers/server.view';
import { bearer, createTestApp, type TestApp } from '../support/app';
import { bodyOf, type OpenApiDocument } from '../support/bodies';
import { queryRow } from '../support/sql';
import {
  applicationBody,
  createApplication,
  createServers,
  expectErrorBody,
  rowCounts,
  type Servers,
} from './api-fixtures';

const CAPACITY_FIELDS = {
  alternateHostPort: 9090,
  stopTimeout: 3600,
  minFreeMemoryMb: 1_000_000_000,
  minFreeDiskMb: 0,
  dockerDataPath: '/srv/docker-data',
};

describe('/api/applications: alternateHostPort, stopTimeout, minFreeMemoryMb, minFreeDiskMb, dockerDataPath', () => {
  let t: TestApp;
  let acme: string;
  let globex: string;
  let servers: Servers<1>;
  let theirServer: ServerView;

  beforeAll(async () => {
    t = await createTestApp();
    acme = await t.tokenFor('acme');
    globex = await t.tokenFor('globex');
    servers = await createServers(t, acme, 1);
    [theirServer] = await createServers(t, globex, 1);
  });
  afterAll(() => t?.close());

  it('stores and returns the given values; the row holds them', async () => {
    const app = await createApplication(t, acme, [servers[0].id], CAPACITY_FIELDS);
    expect(app).toMatchObject(CAPACITY_FIELDS);
    const shown = bodyOf<ApplicationView>(await t.http.get(`/api/applications/${app.id}`).set(bearer(acme)));
    expect(shown).toMatchObject(CAPACITY_FIELDS);
    const listed = bodyOf<ApplicationView[]>(await t.http.get('/api/applications').set(bearer(acme)));
    expect(listed.find((a) => a.id === app.id)).toMatchObject(CAPACITY_FIELDS);
    const row = await queryRow<Record<string, unknown>>(
      t.db.dataSource,
      `SELECT alternate_host_port, stop_timeout, min_free_memory_mb, min_free_disk_mb, docker_data_path
         FROM applications WHERE id = $1`,
      [app.id],
    );
    expect(row).toEqual({
      alternate_host_port: 9090,
      stop_timeout: 3600,
      min_free_memory_mb: 1_000_000_000,
      min_free_disk_mb: 0,
      docker_data_path: '/srv/docker-data',
    });
  });

  it.each([
    [8080, 8081],
    [1, 2],
    [65535, 65534],
  ])(
    'defaults: hostPort %i → alternateHostPort %i, stopTimeout 10, 256 MB, 1024 MB, /var/lib/docker',
    async (hostPort, alternate) => {
      const app = await createApplication(t, acme, [servers[0].id], { hostPort });
      expect(app).toMatchObject({
        hostPort,
        alternateHostPort: alternate,
        stopTimeout: 10,
        minFreeMemoryMb: 256,
        minFreeDiskMb: 1024,
        dockerDataPath: '/var/lib/docker',
      });
    },
  );

  it('accepts / as dockerDataPath and stopTimeout 0', async () => {
    const app = await createApplication(t, acme, [servers[0].id], { dockerDataPath: '/', stopTimeout: 0 });
    expect(app).toMatchObject({ dockerDataPath: '/', stopTimeout: 0 });
  });

  it('takes the default for a field given as null, as for the other optional fields', async () => {
    const app = await createApplication(t, acme, [servers[0].id], {
      stopTimeout: null,
      dockerDataPath: null,
    });
    expect(app).toMatchObject({ stopTimeout: 10, dockerDataPath: '/var/lib/docker' });
  });

  it('shows another team’s application to nobody else (404)', async () => {
    const theirs = await createApplication(t, globex, [theirServer.id], CAPACITY_FIELDS);
    const response = await t.http.get(`/api/applications/${theirs.id}`).set(bearer(acme));
    expect(response.status).toBe(404);
    expect(JSON.stringify(response.body)).not.toContain('srv/docker-data');
  });

  it.each([
    ['alternateHostPort', 0, 'alternateHostPort must not be less than 1'],
    ['alternateHostPort', 65536, 'alternateHostPort must not be greater than 65535'],
    ['alternateHostPort', 8080, 'alternateHostPort must differ from hostPort'],
    ['alternateHostPort', '8081', 'alternateHostPort must be an integer number'],
    ['stopTimeout', -1, 'stopTimeout must not be less than 0'],
    ['stopTimeout', 3601, 'stopTimeout must not be greater than 3600'],
    ['stopTimeout', 2.5, 'stopTimeout must be an integer number'],
    ['stopTimeout', '10', 'stopTimeout must be an integer number'],
    ['minFreeMemoryMb', -1, 'minFreeMemoryMb must not be less than 0'],
    ['minFreeMemoryMb', 1_000_000_001, 'minFreeMemoryMb must not be greater than 1000000000'],
    ['minFreeMemoryMb', 0.5, 'minFreeMemoryMb must be an integer number'],
    ['minFreeDiskMb', -5, 'minFreeDiskMb must not be less than 0'],
    ['minFreeDiskMb', 1e12, 'minFreeDiskMb must not be greater than 1000000000'],
    ['minFreeDiskMb', true, 'minFreeDiskMb must be an integer number'],
    ['dockerDataPath', 'var/lib/docker', 'dockerDataPath must be / or an absolute, normalized path'],
    ['dockerDataPath', '/var/lib/docker/', 'dockerDataPath must be / or an absolute, normalized path'],
    ['dockerDataPath', '/var/../etc', 'dockerDataPath must be / or an absolute, normalized path'],
    ['dockerDataPath', '/var/lib/$(reboot) x', 'dockerDataPath must be / or an absolute, normalized path'],
    ['dockerDataPath', "/var/lib/'docker'", 'dockerDataPath must be / or an absolute, normalized path'],
    ['dockerDataPath', '/var/lib/do\ncker', 'dockerDataPath must be / or an absolute, normalized path'],
    ['dockerDataPath', '', 'dockerDataPath must be / or an absolute, normalized path'],
    ['dockerDataPath', 42, 'dockerDataPath must be / or an absolute, normalized path'],
  ])('refuses %s %j with a 400 naming it and writes nothing', async (field, value, message) => {
    const before = await rowCounts(t);
    const response = await t.http
      .post('/api/applications')
      .set(bearer(acme))
      .send(applicationBody([servers[0].id], { [field]: value }));
    expect(response.status).toBe(400);
    expectErrorBody(response.body, 400);
    const messages = (response.body as { message: string[] }).message;
    expect(messages.some((m) => m.startsWith(message))).toBe(true);
    expect(messages.every((m) => m.startsWith(field))).toBe(true);
    expect(await rowCounts(t)).toEqual(before);
  });

  it('refuses an alternateHostPort equal to a given hostPort of 65535', async () => {
    const response = await t.http
      .post('/api/applications')
      .set(bearer(acme))
      .send(applicationBody([servers[0].id], { hostPort: 65535, alternateHostPort: 65535 }));
    expect(response.status).toBe(400);
    expect((response.body as { message: string[] }).message).toEqual([
      'alternateHostPort must differ from hostPort',
    ]);
  });

  it('documents the fields, their bounds and defaults in the OpenAPI schema', async () => {
    const openApi = bodyOf<OpenApiDocument>(await t.http.get('/docs-json'));
    const properties = openApi.components.schemas.CreateApplicationDto?.properties;
    expect(properties?.alternateHostPort).toMatchObject({ type: 'integer', minimum: 1, maximum: 65535 });
    expect(properties?.stopTimeout).toMatchObject({
      type: 'integer',
      minimum: 0,
      maximum: 3600,
      default: 10,
    });
    expect(properties?.minFreeMemoryMb).toMatchObject({ minimum: 0, maximum: 1_000_000_000, default: 256 });
    expect(properties?.minFreeDiskMb).toMatchObject({ minimum: 0, maximum: 1_000_000_000, default: 1024 });
    expect(properties?.dockerDataPath).toMatchObject({ type: 'string', default: '/var/lib/docker' });
  });
});
