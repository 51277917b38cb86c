import type { ApplicationView } from '../../../src/applications/application.view';
import type { DeploymentView } from '../../../src/rollout/domain';
import { bearer, createTestApp, type TestApp } from '../support/app';
import { errorOf, messagesOf } from '../support/bodies';
import {
  applicationBody,
  createApplication,
  createDeployment,
  createServers,
  ENCRYPTED_PRIVATE_KEY,
  expectErrorBody,
  expectNoPrivateKeySent,
  PRIVATE_KEY,
  rowCounts,
  serverBody,
  storedDeployment,
  type Servers,
} from './api-fixtures';

interface Context {
  servers: Servers<3>;
  app: ApplicationView;
  deployment: DeploymentView;
}

type Case = [what: string, path: (c: Context) => string, body: (c: Context) => unknown, field: string];

const server =
  (overrides: Record<string, unknown>, omit?: string): Case[2] =>
  () => {
    const body = serverBody(overrides);
    if (omit) delete body[omit];
    return body;
  };
const application =
  (overrides: Record<string, unknown>, omit?: string): Case[2] =>
  (c) => {
    const body = applicationBody([c.servers[0].id, c.servers[1].id], overrides);
    if (omit) delete body[omit];
    return body;
  };
const traefik = (c: Context, overrides: Record<string, unknown>) => ({
  loadBalancer: {
    type: 'traefik',
    serverId: c.servers[2].id,
    configPath: '/etc/traefik/dynamic/shop.yaml',
    domain: 'shop.example.com',
    ...overrides,
  },
});
const SERVERS = () => '/api/servers';
const APPLICATIONS = () => '/api/applications';
const DEPLOYMENTS = () => '/api/deployments';
const ROLLING = (c: Context) => `/api/deployments/${c.deployment.id}/rolling-update`;

const CASES: Case[] = [
  // servers
  [
    'a private key that is not a key',
    SERVERS,
    server({ privateKey: 'ssh-ed25519 AAAA not-a-private-key' }),
    'privateKey',
  ],
  [
    'a private key block with garbage inside',
    SERVERS,
    server({
      privateKey: '-----BEGIN OPENSSH PRIVATE KEY-----\nZ2FyYmFnZQ==\n-----END OPENSSH PRIVATE KEY-----\n',
    }),
    'privateKey',
  ],
  [
    'a passphrase-protected private key',
    SERVERS,
    server({ privateKey: ENCRYPTED_PRIVATE_KEY }),
    'privateKey is encrypted',
  ],
  ['a bad hostKeyFingerprint', SERVERS, server({ hostKeyFingerprint: 'MD5:aa:bb:cc' }), 'hostKeyFingerprint'],
  ['port 0', SERVERS, server({ port: 0 }), 'port must not be less than 1'],
  ['port 70000', SERVERS, server({ port: 70000 }), 'port must not be greater than 65535'],
  ['a port given as a string', SERVERS, server({ port: '22' }), 'port must be an integer'],
  ['a host with a shell metacharacter', SERVERS, server({ host: 'web1;reboot' }), 'host'],
  ['a host with a space', SERVERS, server({ host: 'web 1' }), 'host'],
  ['a server name with a space', SERVERS, server({ name: 'web 1' }), 'name'],
  ['a server name of 64 characters', SERVERS, server({ name: 'w'.repeat(64) }), 'name'],
  ['an uppercase user', SERVERS, server({ user: 'Root' }), 'user'],
  ['a missing privateKey', SERVERS, server({}, 'privateKey'), 'privateKey'],
  [
    'an unknown top-level field on a server',
    SERVERS,
    server({ password: 'hunter2' }),
    'password should not exist',
  ],
  // applications
  ['a missing image', APPLICATIONS, application({}, 'image'), 'image'],
  ['an uppercase image', APPLICATIONS, application({ image: 'ghcr.io/Acme/Shop' }), 'image'],
  ['an image with a shell command', APPLICATIONS, application({ image: 'shop;rm -rf /' }), 'image'],
  ['an image with a tag', APPLICATIONS, application({ image: 'ghcr.io/acme/shop:v1' }), 'image'],
  ['a tag with a command', APPLICATIONS, application({ tag: 'v1 && reboot' }), 'tag'],
  ['a tag with a substitution', APPLICATIONS, application({ tag: '$(id)' }), 'tag'],
  ['an uppercase application name', APPLICATIONS, application({ name: 'Shop' }), 'name'],
  ['a containerPort of 0', APPLICATIONS, application({ containerPort: 0 }), 'containerPort'],
  ['a hostPort given as a string', APPLICATIONS, application({ hostPort: '8080' }), 'hostPort'],
  ['an env key with "="', APPLICATIONS, application({ env: { 'A=B': 'x' } }), 'env'],
  ['an env value that is a number', APPLICATIONS, application({ env: { PORT: 3000 } }), 'env'],
  ['an env value with NUL', APPLICATIONS, application({ env: { A: 'x\u0000y' } }), 'env'],
  [
    'a health path without a leading /',
    APPLICATIONS,
    application({ healthCheckPath: 'health' }),
    'healthCheckPath',
  ],
  [
    'a health path with CR/LF',
    APPLICATIONS,
    application({ healthCheckPath: '/health\r\nX: y' }),
    'healthCheckPath',
  ],
  ['empty serverIds', APPLICATIONS, application({ serverIds: [] }), 'serverIds'],
  ['non-integer serverIds', APPLICATIONS, application({ serverIds: [1.5, '2'] }), 'serverIds'],
  [
    'duplicate serverIds',
    APPLICATIONS,
    (c) => applicationBody([c.servers[0].id, c.servers[0].id]),
    'serverIds',
  ],
  ['serverIds that is not an array', APPLICATIONS, application({ serverIds: 1 }), 'serverIds'],
  [
    'an unknown loadBalancer.type',
    APPLICATIONS,
    application({ loadBalancer: { type: 'envoy' } }),
    'loadBalancer.type',
  ],
  [
    'an unknown field inside loadBalancer',
    APPLICATIONS,
    (c) => applicationBody([c.servers[0].id], traefik(c, { weight: 3 })),
    'loadBalancer.weight should not exist',
  ],
  [
    'a traefik config path that is relative',
    APPLICATIONS,
    (c) => applicationBody([c.servers[0].id], traefik(c, { configPath: 'dynamic/shop.yaml' })),
    'loadBalancer.configPath',
  ],
  [
    'a traefik config path with a quote',
    APPLICATIONS,
    (c) => applicationBody([c.servers[0].id], traefik(c, { configPath: "/etc/traefik/sh'op.yaml" })),
    'loadBalancer.configPath',
  ],
  [
    'a negative drainSeconds',
    APPLICATIONS,
    (c) => applicationBody([c.servers[0].id], traefik(c, { drainSeconds: -1 })),
    'loadBalancer.drainSeconds',
  ],
  [
    'a traefik load balancer without domain',
    APPLICATIONS,
    (c) => applicationBody([c.servers[0].id], traefik(c, { domain: undefined })),
    'loadBalancer.domain',
  ],
  [
    'an nginx reloadCommand with a newline',
    APPLICATIONS,
    (c) =>
      applicationBody([c.servers[0].id], {
        loadBalancer: {
          type: 'nginx',
          serverId: c.servers[2].id,
          configPath: '/etc/nginx/conf.d/shop.conf',
          listenPort: 80,
          reloadCommand: 'nginx -s reload\nrm -rf /',
        },
      }),
    'loadBalancer.reloadCommand',
  ],
  [
    'an haproxy backend with a space',
    APPLICATIONS,
    (c) =>
      applicationBody([c.servers[0].id], {
        loadBalancer: { type: 'haproxy', serverId: c.servers[2].id, backend: 'a b' },
      }),
    'loadBalancer.backend',
  ],
  [
    'an unknown top-level field on an application',
    APPLICATIONS,
    application({ replicas: 3 }),
    'replicas should not exist',
  ],
  // deployments
  [
    'an applicationId given as a string',
    DEPLOYMENTS,
    (c) => ({ applicationId: String(c.app.id), tag: 'v2' }),
    'applicationId',
  ],
  ['a missing tag', DEPLOYMENTS, (c) => ({ applicationId: c.app.id }), 'tag'],
  [
    'a deployment tag with a command',
    DEPLOYMENTS,
    (c) => ({ applicationId: c.app.id, tag: 'v2;reboot' }),
    'tag',
  ],
  [
    'a deployment image with a space',
    DEPLOYMENTS,
    (c) => ({ applicationId: c.app.id, image: 'acme shop', tag: 'v2' }),
    'image',
  ],
  // rolling update
  ['batchSize "5" (a string)', ROLLING, () => ({ batchSize: '5' }), 'batchSize must be an integer'],
  ['batchSize 0', ROLLING, () => ({ batchSize: 0 }), 'batchSize must not be less than 1'],
  [
    'a negative batchSize',
    ROLLING,
    () => ({ batchSize: -2, batchSizeIsPercentage: false }),
    'batchSize must not be less than 1',
  ],
  [
    'a fractional batchSize',
    ROLLING,
    () => ({ batchSize: 2.5, batchSizeIsPercentage: false }),
    'batchSize must be an integer',
  ],
  [
    'batchSize 101 as a percentage',
    ROLLING,
    () => ({ batchSize: 101, batchSizeIsPercentage: true }),
    'batchSize must not be greater than 100',
  ],
  [
    'batchSize 101 as the default percentage',
    ROLLING,
    () => ({ batchSize: 101 }),
    'batchSize must not be greater than 100',
  ],
  [
    'batchSizeIsPercentage "yes"',
    ROLLING,
    () => ({ batchSizeIsPercentage: 'yes' }),
    'batchSizeIsPercentage must be a boolean',
  ],
  [
    'autoRollbackOnFailure 1',
    ROLLING,
    () => ({ autoRollbackOnFailure: 1 }),
    'autoRollbackOnFailure must be a boolean',
  ],
  ['a negative waitInterval', ROLLING, () => ({ waitInterval: -1 }), 'waitInterval must not be less than 0'],
  ['waitInterval "30"', ROLLING, () => ({ waitInterval: '30' }), 'waitInterval must be a number'],
  [
    'healthCheckTimeout 0',
    ROLLING,
    () => ({ healthCheckTimeout: 0 }),
    'healthCheckTimeout must not be less than 0.1',
  ],
  ['a negative healthCheckInterval', ROLLING, () => ({ healthCheckInterval: -0.5 }), 'healthCheckInterval'],
  ['maxHealthCheckRetries 0', ROLLING, () => ({ maxHealthCheckRetries: 0 }), 'maxHealthCheckRetries'],
  [
    'a negative minimumHealthyInstances',
    ROLLING,
    () => ({ minimumHealthyInstances: -1 }),
    'minimumHealthyInstances',
  ],
  ['failureThreshold 0', ROLLING, () => ({ failureThreshold: 0 }), 'failureThreshold'],
  ['a rolling health path without /', ROLLING, () => ({ healthCheckPath: 'ready' }), 'healthCheckPath'],
  [
    'a rolling health path with a space',
    ROLLING,
    () => ({ healthCheckPath: '/ready now' }),
    'healthCheckPath',
  ],
  [
    'an unknown rolling-update field',
    ROLLING,
    () => ({ canaryPercent: 10 }),
    'canaryPercent should not exist',
  ],
];

describe('refused bodies: 400 naming the field, nothing written', () => {
  let t: TestApp;
  let token: string;
  const c = {} as Context;

  beforeAll(async () => {
    t = await createTestApp();
    token = await t.tokenFor('acme');
    c.servers = await createServers(t, token, 3);
    c.app = await createApplication(t, token, [c.servers[0].id, c.servers[1].id]);
    c.deployment = await createDeployment(t, token, c.app.id);
  });
  afterAll(async () => {
    await t?.close();
    expectNoPrivateKeySent(t);
  });

  it('has many distinct cases', () => {
    expect(new Set(CASES.map(([what]) => what)).size).toBe(CASES.length);
    expect(CASES.length).toBeGreaterThanOrEqual(25);
  });

  it.each(CASES)('refuses %s', async (_what, path, body, field) => {
    const before = await rowCounts(t);
    const response = await t.http
      .post(path(c))
      .set(bearer(token))
      .send(body(c) as object);
    expect(response.status).toBe(400);
    expectErrorBody(response.body, 400);
    expect(errorOf(response).error).toBe('Bad Request');
    expect(Array.isArray(errorOf(response).message)).toBe(true);
    expect(messagesOf(response).some((message) => message.includes(field))).toBe(true);
    expect(await rowCounts(t)).toEqual(before);
    expect((await storedDeployment(t, c.deployment.id)).status).toBe('pending');
    expect(t.queue.enqueued).toEqual([]);
  });

  it('reports every bad field at once', async () => {
    const response = await t.http
      .post(`/api/deployments/${c.deployment.id}/rolling-update`)
      .set(bearer(token))
      .send({ batchSize: 0, waitInterval: -1, autoRollbackOnFailure: 'yes' });
    expect(response.status).toBe(400);
    for (const field of ['batchSize', 'waitInterval', 'autoRollbackOnFailure']) {
      expect(messagesOf(response).some((message) => message.startsWith(field))).toBe(true);
    }
  });

  it.each([
    ['?applicationId=abc', 'applicationId must be a positive integer'],
    ['?applicationId=0', 'applicationId must be a positive integer'],
    ['?applicationId=1&applicationId=2', 'applicationId must be a positive integer'],
    ['?status=queued', 'property status should not exist'],
    ['?limit=0', 'limit must be a whole number from 1 to 500'],
    ['?limit=501', 'limit must be a whole number from 1 to 500'],
    ['?limit=ten', 'limit must be a whole number from 1 to 500'],
    ['?limit=2.5', 'limit must be a whole number from 1 to 500'],
    ['?beforeId=-3', 'beforeId must be a positive integer'],
  ])('refuses the query %s', async (query, message) => {
    const response = await t.http.get(`/api/deployments${query}`).set(bearer(token));
    expect(response.status).toBe(400);
    expect(errorOf(response).message).toContain(message);
  });

  it('accepts the same bodies once corrected (the cases fail for the reason named)', async () => {
    const ok = await t.http
      .post('/api/servers')
      .set(bearer(token))
      .send(serverBody({ privateKey: PRIVATE_KEY, port: 22 }));
    expect(ok.status).toBe(201);
  });
});
