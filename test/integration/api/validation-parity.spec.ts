import type { ApplicationView } from '../../../src/applications/application.view';
import { envCommandBytes, MAX_ENV_COMMAND_BYTES } from '../../../src/common/validation/rules';
import type { DeploymentView } from '../../../src/rollout/domain';
import { bearer, createTestApp, type TestApp } from '../support/app';
import { bodyOf, errorOf } from '../support/bodies';
import {
  applicationBody,
  createApplication,
  createDeployment,
  createServers,
  expectErrorBody,
  rowCounts,
  serverBody,
  storedDeployment,
  type Servers,
} from './api-fixtures';

/**
 * Validation parity: every value a deploy-time check (command builders, proxy renderers, the health probe's
 * URL, Linux and socat limits) would refuse is refused at request time with a 400 naming the field, and the
 * refused request writes nothing. Bodies go out as raw JSON text so that `\u0000`, lone surrogates and
 * `1e400` (Infinity) arrive exactly as a hostile client would send them.
 */

interface Context {
  servers: Servers<3>;
  app: ApplicationView;
  deployment: DeploymentView;
}

type Body = Record<string, unknown>;
type Case = [what: string, path: (c: Context) => string, body: (c: Context) => string, field: string];

/** JSON text with `raw` spliced in for the placeholder, for values JSON.stringify cannot produce. */
const RAW = '@@raw@@';
const json = (body: Body, raw?: string) => {
  const text = JSON.stringify(body);
  if (raw === undefined) return text;
  if (!text.includes(`"${RAW}"`)) throw new Error('no placeholder for the raw value');
  return text.replace(`"${RAW}"`, () => raw);
};

const SERVERS = () => '/api/servers';
const APPLICATIONS = () => '/api/applications';
const DEPLOYMENTS = () => '/api/deployments';
const ROLLING = (c: Context) => `/api/deployments/${c.deployment.id}/rolling-update`;

const server =
  (field: string, value: unknown): Case[2] =>
  () =>
    json(serverBody({ [field]: value }));
const serverRaw =
  (field: string, raw: string): Case[2] =>
  () =>
    json(serverBody({ [field]: RAW }), raw);
const application =
  (field: string, value: unknown): Case[2] =>
  (c) =>
    json(applicationBody([c.servers[0].id], { [field]: value }));
const applicationRaw =
  (field: string, raw: string): Case[2] =>
  (c) =>
    json(applicationBody([c.servers[0].id], { [field]: RAW }), raw);

const LOAD_BALANCERS = {
  traefik: (c) => ({
    type: 'traefik',
    serverId: c.servers[2].id,
    configPath: '/etc/traefik/dynamic/shop.yaml',
    domain: 'shop.example.com',
  }),
  nginx: (c) => ({
    type: 'nginx',
    serverId: c.servers[2].id,
    configPath: '/etc/nginx/conf.d/shop.conf',
    listenPort: 80,
  }),
  haproxy: (c) => ({ type: 'haproxy', serverId: c.servers[2].id, backend: 'be_shop' }),
} satisfies Record<string, (c: Context) => Body>;
const balancer =
  (type: keyof typeof LOAD_BALANCERS, field: string, value: unknown, raw?: string): Case[2] =>
  (c) =>
    json(
      applicationBody([c.servers[0].id], {
        loadBalancer: { ...LOAD_BALANCERS[type](c), [field]: raw === undefined ? value : RAW },
      }),
      raw,
    );
const deployment =
  (overrides: Body): Case[2] =>
  (c) =>
    json({ applicationId: c.app.id, tag: 'v2', ...overrides });
const rolling =
  (field: string, value: unknown): Case[2] =>
  () =>
    json({ [field]: value });
const rollingRaw =
  (field: string, raw: string): Case[2] =>
  () =>
    json({ [field]: RAW }, raw);

const CASES: Case[] = [
  // servers: host goes to SSH, the health probe's URL and the load balancers' member lists
  [
    'a host with an IPv6 zone (no URL, nginx or Traefik takes it)',
    SERVERS,
    server('host', 'fe80::1%eth0'),
    'host',
  ],
  ['a host with a percent-encoded zone', SERVERS, server('host', 'fe80::1%25eth0'), 'host'],
  ['a host with $()', SERVERS, server('host', '$(id)'), 'host'],
  ['a host with backticks', SERVERS, server('host', '`id`'), 'host'],
  ['a host with ";"', SERVERS, server('host', 'web1;reboot'), 'host'],
  ['a host with a newline', SERVERS, server('host', 'web1\nevil'), 'host'],
  ['a host with NUL', SERVERS, server('host', 'web1\u0000'), 'host'],
  ['a host in fullwidth letters', SERVERS, server('host', 'ｗｅｂ.example.com'), 'host'],
  ['a host with a Cyrillic look-alike', SERVERS, server('host', 'wеb.example.com'), 'host'],
  ['a host with %2e%2e', SERVERS, server('host', '%2e%2e'), 'host'],
  ['a host that is no URL host (310.0.0.5)', SERVERS, server('host', '310.0.0.5'), 'host'],
  ['a host ending in a number (web.09)', SERVERS, server('host', 'web.09'), 'host'],
  ['a host with an invalid punycode label', SERVERS, server('host', 'xn--a.example.com'), 'host'],
  ['a host of 254 characters', SERVERS, server('host', `${'a'.repeat(63)}.`.repeat(4).slice(0, 254)), 'host'],
  ['an option-looking host', SERVERS, server('host', '-oProxyCommand=id'), 'host'],
  ['a server name with ".."', SERVERS, server('name', '../etc'), 'name'],
  ['a server name with ";" (an HAProxy command separator)', SERVERS, server('name', 'web;shutdown'), 'name'],
  ['a server name with "/"', SERVERS, server('name', 'be/web'), 'name'],
  ['a server name with a right-to-left override', SERVERS, server('name', 'web\u202e1'), 'name'],
  ['a server name with a lone surrogate', SERVERS, serverRaw('name', '"web\\ud800"'), 'name'],
  ['a user with $()', SERVERS, server('user', '$(id)'), 'user'],
  ['an option-looking user', SERVERS, server('user', '-oProxyCommand=id'), 'user'],
  ['a user with a Cyrillic look-alike', SERVERS, server('user', 'rооt'), 'user'],
  ['a user of 33 characters', SERVERS, server('user', 'u'.repeat(33)), 'user'],
  ['a port of 1e400 (Infinity)', SERVERS, serverRaw('port', '1e400'), 'port'],
  ['a fractional port', SERVERS, server('port', 22.5), 'port'],
  // applications: name (container name, labels, proxy object names), image, tag, env, health path
  ['an application name with ".."', APPLICATIONS, application('name', '..'), 'name'],
  ['an application name with a Cyrillic look-alike', APPLICATIONS, application('name', 'ѕhop'), 'name'],
  ['an application name with a newline', APPLICATIONS, application('name', 'shop\n'), 'name'],
  ['an application name of 64 characters', APPLICATIONS, application('name', 's'.repeat(64)), 'name'],
  ['an image with backticks', APPLICATIONS, application('image', 'ghcr.io/acme/`id`'), 'image'],
  ['an image with %2e%2e', APPLICATIONS, application('image', 'ghcr.io/acme/%2e%2e'), 'image'],
  ['an image with ".."', APPLICATIONS, application('image', 'ghcr.io/acme/../shop'), 'image'],
  ['an image with a Cyrillic look-alike', APPLICATIONS, application('image', 'ghcr.io/acme/ѕhop'), 'image'],
  ['an image of 256 characters', APPLICATIONS, application('image', `acme/${'s'.repeat(251)}`), 'image'],
  ['a tag with a quote', APPLICATIONS, application('tag', "v1'"), 'tag'],
  ['a tag with a newline', APPLICATIONS, application('tag', 'v1\n'), 'tag'],
  ['a tag of 129 characters', APPLICATIONS, application('tag', 'v'.repeat(129)), 'tag'],
  ['an env name with $()', APPLICATIONS, application('env', { '$(id)': 'x' }), 'env'],
  ['an env name with a space', APPLICATIONS, application('env', { 'A B': 'x' }), 'env'],
  ['an env name of 256 characters', APPLICATIONS, application('env', { ['A'.repeat(256)]: 'x' }), 'env'],
  [
    'an env value with a lone surrogate (not storable, not byte-exact)',
    APPLICATIONS,
    applicationRaw('env', '{"A":"x\\ud800"}'),
    'env',
  ],
  [
    'an env name __proto__ (Nest would drop it silently)',
    APPLICATIONS,
    applicationRaw('env', '{"__proto__":"x"}'),
    'property env.__proto__ should not exist',
  ],
  [
    'an env name constructor (Nest would drop it silently)',
    APPLICATIONS,
    application('env', { constructor: 'x' }),
    'property env.constructor should not exist',
  ],
  [
    'a top-level __proto__ (Nest would drop it silently)',
    APPLICATIONS,
    applicationRaw('tag', '"v1","__proto__":{"replicas":3}'),
    'property __proto__ should not exist',
  ],
  ['an env value of 32769 characters', APPLICATIONS, application('env', { A: 'x'.repeat(32769) }), 'env'],
  [
    'an env too large for one docker run command line (E2BIG on the server)',
    APPLICATIONS,
    // 3 × 30000 quotes: each value is within its own limit, but quoted they pass 128 KiB.
    application('env', { A: "'".repeat(30000), B: "'".repeat(30000), C: "'".repeat(30000) }),
    'env is too large',
  ],
  [
    'an env of 1001 variables',
    APPLICATIONS,
    application('env', Object.fromEntries(Array.from({ length: 1001 }, (_, i) => [`V${i}`, '1']))),
    'env must have at most 1000 variables',
  ],
  [
    'a health path with NUL',
    APPLICATIONS,
    application('healthCheckPath', '/health\u0000'),
    'healthCheckPath',
  ],
  [
    'a health path with a right-to-left override',
    APPLICATIONS,
    application('healthCheckPath', '/h\u202e'),
    'healthCheckPath',
  ],
  [
    'a health path with a no-break space',
    APPLICATIONS,
    application('healthCheckPath', '/h\u00a0x'),
    'healthCheckPath',
  ],
  [
    'a health path with a line separator',
    APPLICATIONS,
    application('healthCheckPath', '/h\u2028x'),
    'healthCheckPath',
  ],
  [
    'a health path with a lone surrogate',
    APPLICATIONS,
    applicationRaw('healthCheckPath', '"/h\\udc00"'),
    'healthCheckPath',
  ],
  [
    'a health path of 2049 characters',
    APPLICATIONS,
    application('healthCheckPath', `/${'h'.repeat(2048)}`),
    'healthCheckPath',
  ],
  // applications: dockerDataPath ($1 of the capacity check's script), stopTimeout (docker stop -t)
  [
    'a dockerDataPath with ".."',
    APPLICATIONS,
    application('dockerDataPath', '/var/../etc'),
    'dockerDataPath',
  ],
  [
    'a dockerDataPath with a newline',
    APPLICATIONS,
    application('dockerDataPath', '/var\nx'),
    'dockerDataPath',
  ],
  ['a dockerDataPath with NUL', APPLICATIONS, application('dockerDataPath', '/var\u0000'), 'dockerDataPath'],
  ['an option-looking dockerDataPath', APPLICATIONS, application('dockerDataPath', '-P'), 'dockerDataPath'],
  [
    'a dockerDataPath with a lone surrogate',
    APPLICATIONS,
    applicationRaw('dockerDataPath', '"/var/\\ud800"'),
    'dockerDataPath',
  ],
  ['a stopTimeout of 1e400 (Infinity)', APPLICATIONS, applicationRaw('stopTimeout', '1e400'), 'stopTimeout'],
  ['a fractional stopTimeout', APPLICATIONS, application('stopTimeout', 0.5), 'stopTimeout'],
  ['a minFreeMemoryMb of 1e400', APPLICATIONS, applicationRaw('minFreeMemoryMb', '1e400'), 'minFreeMemoryMb'],
  [
    'an alternateHostPort equal to hostPort',
    APPLICATIONS,
    application('alternateHostPort', 8080),
    'alternateHostPort',
  ],
  // load balancers: configPath (atomic replace over SSH)
  [
    'a configPath with ".."',
    APPLICATIONS,
    balancer('nginx', 'configPath', '/etc/nginx/../shadow'),
    'loadBalancer.configPath',
  ],
  [
    'a configPath ending in ".."',
    APPLICATIONS,
    balancer('traefik', 'configPath', '/etc/traefik/..'),
    'loadBalancer.configPath',
  ],
  [
    'a configPath with "."',
    APPLICATIONS,
    balancer('traefik', 'configPath', '/etc/./shop.yaml'),
    'loadBalancer.configPath',
  ],
  [
    'a configPath with "//"',
    APPLICATIONS,
    balancer('traefik', 'configPath', '/etc//shop.yaml'),
    'loadBalancer.configPath',
  ],
  [
    'a configPath ending in "/."',
    APPLICATIONS,
    balancer('nginx', 'configPath', '/etc/nginx/conf.d/.'),
    'loadBalancer.configPath',
  ],
  [
    'a configPath that is a folder',
    APPLICATIONS,
    balancer('nginx', 'configPath', '/etc/nginx/'),
    'loadBalancer.configPath',
  ],
  [
    'a configPath with $() and a quote',
    APPLICATIONS,
    balancer('nginx', 'configPath', "/etc/$(id)'.conf"),
    'loadBalancer.configPath',
  ],
  [
    'a configPath with backticks',
    APPLICATIONS,
    balancer('traefik', 'configPath', '/etc/`id`.yaml'),
    'loadBalancer.configPath',
  ],
  [
    'a configPath with a backslash',
    APPLICATIONS,
    balancer('traefik', 'configPath', '/etc/a\\b.yaml'),
    'loadBalancer.configPath',
  ],
  [
    'a configPath with a newline',
    APPLICATIONS,
    balancer('nginx', 'configPath', '/etc/a\nb.conf'),
    'loadBalancer.configPath',
  ],
  [
    'a configPath with NUL',
    APPLICATIONS,
    balancer('nginx', 'configPath', '/etc/a\u0000.conf'),
    'loadBalancer.configPath',
  ],
  [
    'a configPath with a zero-width space',
    APPLICATIONS,
    balancer('traefik', 'configPath', '/etc/a\u200b.yaml'),
    'loadBalancer.configPath',
  ],
  [
    'a configPath with a lone surrogate',
    APPLICATIONS,
    balancer('traefik', 'configPath', null, '"/etc/\\ud800.yaml"'),
    'loadBalancer.configPath',
  ],
  [
    'a configPath segment whose temporary sibling passes NAME_MAX',
    APPLICATIONS,
    balancer('traefik', 'configPath', `/etc/${'s'.repeat(243)}`),
    'loadBalancer.configPath',
  ],
  [
    'a configPath of 1025 bytes',
    APPLICATIONS,
    balancer('traefik', 'configPath', `/${`${'a'.repeat(200)}/`.repeat(5)}${'x'.repeat(20)}`),
    'loadBalancer.configPath',
  ],
  // HAProxy: socket path as socat's address, backend in runtime API commands
  [
    'a socketPath with ",fork" (a socat option)',
    APPLICATIONS,
    balancer('haproxy', 'socketPath', '/run/haproxy/admin.sock,fork'),
    'loadBalancer.socketPath',
  ],
  [
    'a socketPath with ":"',
    APPLICATIONS,
    balancer('haproxy', 'socketPath', '/run/x:y.sock'),
    'loadBalancer.socketPath',
  ],
  [
    'a socketPath with "!"',
    APPLICATIONS,
    balancer('haproxy', 'socketPath', '/run/x!!y.sock'),
    'loadBalancer.socketPath',
  ],
  [
    'a socketPath with ".."',
    APPLICATIONS,
    balancer('haproxy', 'socketPath', '/run/../admin.sock'),
    'loadBalancer.socketPath',
  ],
  [
    'a socketPath with a Cyrillic look-alike',
    APPLICATIONS,
    balancer('haproxy', 'socketPath', '/run/hаproxy.sock'),
    'loadBalancer.socketPath',
  ],
  [
    'a socketPath of 108 bytes (sun_path)',
    APPLICATIONS,
    balancer('haproxy', 'socketPath', `/run/${'s'.repeat(103)}`),
    'loadBalancer.socketPath',
  ],
  [
    'a backend with ";" (a second runtime command)',
    APPLICATIONS,
    balancer('haproxy', 'backend', 'be;shutdown sessions'),
    'loadBalancer.backend',
  ],
  ['a backend with "/"', APPLICATIONS, balancer('haproxy', 'backend', 'be/web-1'), 'loadBalancer.backend'],
  [
    'a backend with a newline',
    APPLICATIONS,
    balancer('haproxy', 'backend', 'be\nshow info'),
    'loadBalancer.backend',
  ],
  [
    'a backend of 256 characters',
    APPLICATIONS,
    balancer('haproxy', 'backend', 'b'.repeat(256)),
    'loadBalancer.backend',
  ],
  // domains: Traefik's backquoted rule, nginx's server_name
  [
    "a domain closing Traefik's rule",
    APPLICATIONS,
    balancer('traefik', 'domain', 'a.example.com`) || Host(`evil.com'),
    'loadBalancer.domain',
  ],
  [
    'a domain with ";" (an nginx directive)',
    APPLICATIONS,
    balancer('nginx', 'domain', 'a.example.com; include /etc/shadow'),
    'loadBalancer.domain',
  ],
  [
    'a domain with a Cyrillic look-alike',
    APPLICATIONS,
    balancer('traefik', 'domain', 'ѕhop.example.com'),
    'loadBalancer.domain',
  ],
  [
    'a domain with a wildcard',
    APPLICATIONS,
    balancer('nginx', 'domain', '*.example.com'),
    'loadBalancer.domain',
  ],
  [
    'a domain with an empty label',
    APPLICATIONS,
    balancer('traefik', 'domain', 'shop..example.com'),
    'loadBalancer.domain',
  ],
  [
    'a domain label of 64 characters',
    APPLICATIONS,
    balancer('traefik', 'domain', `${'d'.repeat(64)}.com`),
    'loadBalancer.domain',
  ],
  // nginx commands: one line run by the remote shell
  [
    'a reloadCommand with CR',
    APPLICATIONS,
    balancer('nginx', 'reloadCommand', 'nginx -s reload\rreboot'),
    'loadBalancer.reloadCommand',
  ],
  [
    'a reloadCommand with NUL',
    APPLICATIONS,
    balancer('nginx', 'reloadCommand', 'nginx\u0000'),
    'loadBalancer.reloadCommand',
  ],
  [
    'a reloadCommand with a line separator',
    APPLICATIONS,
    balancer('nginx', 'reloadCommand', 'nginx\u2028reboot'),
    'loadBalancer.reloadCommand',
  ],
  [
    'a reloadCommand with a right-to-left override',
    APPLICATIONS,
    balancer('nginx', 'reloadCommand', 'nginx -s reload #\u202e'),
    'loadBalancer.reloadCommand',
  ],
  [
    'a reloadCommand with an escape sequence',
    APPLICATIONS,
    balancer('nginx', 'reloadCommand', 'nginx\u001b[2J'),
    'loadBalancer.reloadCommand',
  ],
  [
    'a reloadCommand of spaces',
    APPLICATIONS,
    balancer('nginx', 'reloadCommand', '   '),
    'loadBalancer.reloadCommand',
  ],
  [
    'a reloadCommand of 1025 characters',
    APPLICATIONS,
    balancer('nginx', 'reloadCommand', `nginx ${'x'.repeat(1019)}`),
    'loadBalancer.reloadCommand',
  ],
  [
    'a testCommand with a newline',
    APPLICATIONS,
    balancer('nginx', 'testCommand', 'nginx -t\nreboot'),
    'loadBalancer.testCommand',
  ],
  [
    'a testCommand with a lone surrogate',
    APPLICATIONS,
    balancer('nginx', 'testCommand', null, '"nginx -t \\ud800"'),
    'loadBalancer.testCommand',
  ],
  // drainSeconds: 0–3600
  [
    'drainSeconds 3600.5',
    APPLICATIONS,
    balancer('traefik', 'drainSeconds', 3600.5),
    'loadBalancer.drainSeconds must not be greater than 3600',
  ],
  [
    'drainSeconds -0.001',
    APPLICATIONS,
    balancer('nginx', 'drainSeconds', -0.001),
    'loadBalancer.drainSeconds must not be less than 0',
  ],
  [
    'drainSeconds 1e400 (Infinity)',
    APPLICATIONS,
    balancer('haproxy', 'drainSeconds', null, '1e400'),
    'loadBalancer.drainSeconds',
  ],
  [
    'drainSeconds "5"',
    APPLICATIONS,
    balancer('haproxy', 'drainSeconds', '5'),
    'loadBalancer.drainSeconds must be a number',
  ],
  // deployments
  ['a deployment tag with $()', DEPLOYMENTS, deployment({ tag: '$(reboot)' }), 'tag'],
  ['a deployment tag with a Cyrillic look-alike', DEPLOYMENTS, deployment({ tag: 'vеrsion2' }), 'tag'],
  ['a deployment image with ";"', DEPLOYMENTS, deployment({ image: 'acme/shop;id' }), 'image'],
  ['a deployment image with a newline', DEPLOYMENTS, deployment({ image: 'acme/shop\nx' }), 'image'],
  // rolling-update limits (README, "The API")
  [
    'waitInterval 3600.01',
    ROLLING,
    rolling('waitInterval', 3600.01),
    'waitInterval must not be greater than 3600',
  ],
  [
    'waitInterval 1e400 (Infinity)',
    ROLLING,
    rollingRaw('waitInterval', '1e400'),
    'waitInterval must be a number',
  ],
  [
    'healthCheckTimeout 0.09',
    ROLLING,
    rolling('healthCheckTimeout', 0.09),
    'healthCheckTimeout must not be less than 0.1',
  ],
  [
    'healthCheckTimeout 3601',
    ROLLING,
    rolling('healthCheckTimeout', 3601),
    'healthCheckTimeout must not be greater than 3600',
  ],
  [
    'healthCheckInterval 0',
    ROLLING,
    rolling('healthCheckInterval', 0),
    'healthCheckInterval must not be less than 0.01',
  ],
  [
    'healthCheckInterval 0.009',
    ROLLING,
    rolling('healthCheckInterval', 0.009),
    'healthCheckInterval must not be less than 0.01',
  ],
  [
    'healthCheckInterval 300.5',
    ROLLING,
    rolling('healthCheckInterval', 300.5),
    'healthCheckInterval must not be greater than 300',
  ],
  [
    'maxHealthCheckRetries 10001',
    ROLLING,
    rolling('maxHealthCheckRetries', 10001),
    'maxHealthCheckRetries must not be greater than 10000',
  ],
  [
    'maxHealthCheckRetries 1e308',
    ROLLING,
    rollingRaw('maxHealthCheckRetries', '1e308'),
    'maxHealthCheckRetries must not be greater than 10000',
  ],
  [
    'failureThreshold 1001',
    ROLLING,
    rolling('failureThreshold', 1001),
    'failureThreshold must not be greater than 1000',
  ],
  [
    'an absolute batchSize of 1001',
    ROLLING,
    () => json({ batchSize: 1001, batchSizeIsPercentage: false }),
    'batchSize must not be greater than 1000',
  ],
  [
    'minimumHealthyInstances 1001',
    ROLLING,
    rolling('minimumHealthyInstances', 1001),
    'minimumHealthyInstances must not be greater than 1000',
  ],
  [
    'a rolling health path with backticks and a space',
    ROLLING,
    rolling('healthCheckPath', '/`id` x'),
    'healthCheckPath',
  ],
  [
    'a rolling health path with a lone surrogate',
    ROLLING,
    rollingRaw('healthCheckPath', '"/\\ud800"'),
    'healthCheckPath',
  ],
];

describe('validation parity: what deploy time would refuse is a 400 naming the field, nothing written', () => {
  let t: TestApp;
  let token: string;
  const c = {} as Context;

  const post = (path: string, body: string) =>
    t.http.post(path).set(bearer(token)).set('Content-Type', 'application/json').send(body);

  beforeAll(async () => {
    t = await createTestApp();
    token = await t.tokenFor('acme');
    c.servers = await createServers(t, token, 3);
    c.app = await createApplication(t, token, [c.servers[0].id, c.servers[1].id]);
    c.deployment = await createDeployment(t, token, c.app.id);
  });
  afterAll(() => t?.close());

  it('has many distinct cases', () => {
    expect(new Set(CASES.map(([what]) => what)).size).toBe(CASES.length);
    expect(CASES.length).toBeGreaterThanOrEqual(100);
  });

  it.each(CASES)('refuses %s', async (_what, path, body, field) => {
    const before = await rowCounts(t);
    const response = await post(path(c), body(c));
    expect(response.status).toBe(400);
    expectErrorBody(response.body, 400);
    expect(errorOf(response).message).toEqual(
      expect.arrayContaining([expect.stringMatching(new RegExp(`^${escape(field)}`))]),
    );
    expect(await rowCounts(t)).toEqual(before);
    expect((await storedDeployment(t, c.deployment.id)).status).toBe('pending');
    expect(t.queue.enqueued).toEqual([]);
  });

  it('never echoes a refused value back (a message names the field and the rule)', async () => {
    const response = await post(APPLICATIONS(), application('env', { A: 'x\u0000hunter2', B: 'ok' })(c));
    expect(response.status).toBe(400);
    expect(response.text).not.toContain('hunter2');
  });

  it('takes null for an optional field as its default, never a 500', async () => {
    const app = await post(
      APPLICATIONS(),
      json(
        applicationBody([c.servers[0].id], {
          loadBalancer: null,
          env: null,
          secretEnv: null,
          healthCheckPath: null,
        }),
      ),
    );
    expect(app.status).toBe(201);
    expect(app.body).toMatchObject({ loadBalancer: { type: 'none' }, env: {}, healthCheckPath: '/health' });
    const created = await post(
      SERVERS(),
      json(serverBody({ port: null, user: null, hostKeyFingerprint: null })),
    );
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ port: 22, user: 'root' });
    const applicationId = bodyOf<ApplicationView>(app).id;
    const pending = await post(DEPLOYMENTS(), json({ applicationId, image: null, tag: 'v2' }));
    expect(pending.status).toBe(201);
    expect(bodyOf<DeploymentView>(pending).image).toBe('ghcr.io/acme/shop');
  });

  describe('accepts the boundaries themselves (limits are inclusive)', () => {
    it('every rolling-update limit at its minimum and its maximum', async () => {
      for (const options of [
        {
          batchSize: 1,
          batchSizeIsPercentage: false,
          waitInterval: 0,
          healthCheckTimeout: 0.1,
          healthCheckInterval: 0.01,
          maxHealthCheckRetries: 1,
          failureThreshold: 1,
          minimumHealthyInstances: 0,
        },
        {
          batchSize: 1000,
          batchSizeIsPercentage: false,
          waitInterval: 3600,
          healthCheckTimeout: 3600,
          healthCheckInterval: 300,
          maxHealthCheckRetries: 10000,
          failureThreshold: 1000,
          minimumHealthyInstances: 0,
        },
      ]) {
        const app = await createApplication(t, token, [c.servers[0].id]);
        const created = await createDeployment(t, token, app.id);
        const response = await post(`/api/deployments/${created.id}/rolling-update`, JSON.stringify(options));
        expect(response.status).toBe(202);
        expect(response.body).toMatchObject(options);
      }
      t.queue.enqueued.length = 0;
    });

    it('paths, names and env at their longest, and literal "%2e%2e" (no layer decodes it)', async () => {
      const longestSegment = `/srv/${'s'.repeat(242)}`;
      const longestSocket = `/run/${'s'.repeat(102)}`;
      // Exactly the env limit once quoted: a value of 32768 characters and one of quotes (4 bytes each).
      const bigEnv = { A: 'x'.repeat(32768), B: `${"'".repeat(8188)}yy` };
      expect(envCommandBytes(bigEnv)).toBe(MAX_ENV_COMMAND_BYTES);
      const cases: Body[] = [
        { loadBalancer: { ...LOAD_BALANCERS.traefik(c), configPath: longestSegment, drainSeconds: 3600 } },
        {
          loadBalancer: { ...LOAD_BALANCERS.nginx(c), configPath: '/srv/%2e%2e/shop.conf', drainSeconds: 0 },
        },
        {
          loadBalancer: { ...LOAD_BALANCERS.haproxy(c), socketPath: longestSocket, backend: 'b'.repeat(255) },
        },
        { env: bigEnv, healthCheckPath: `/${'h'.repeat(2047)}` },
        // Valid names that are also Object.prototype's: kept, not dropped by a copy.
        {
          env: { toString: 'b', valueOf: 'c', hasOwnProperty: 'd', __defineGetter__: 'e' },
        },
        { loadBalancer: { ...LOAD_BALANCERS.nginx(c), reloadCommand: `nginx\t${'x'.repeat(1018)}` } },
      ];
      for (const overrides of cases) {
        const response = await post(APPLICATIONS(), json(applicationBody([c.servers[0].id], overrides)));
        expect(response.status).toBe(201);
        const shown = response.body as Record<string, unknown>;
        for (const [key, value] of Object.entries(overrides)) {
          if (typeof value === 'string') expect(shown[key]).toBe(value);
          else if (key === 'env') expect(shown[key]).toEqual(value);
          else expect(shown[key]).toMatchObject(value as object);
        }
      }
    });
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
