import fc from 'fast-check';
import {
  baseRequest,
  deployTimeProblem,
  LOAD_BALANCERS,
  startInstance,
  type Body,
  type Instance,
  type RequestBodies,
} from '../../../test/support/validation-parity/deploy-time';
import { envMap, number, strangeJson, text } from '../../../test/support/validation-parity/generators';
import { CreateApplicationDto } from '../../applications/create-application.dto';
import { RollingUpdateDto } from '../../deployments/rolling-update.dto';
import { CreateServerDto } from '../../servers/create-server.dto';
import { ValidationFailedError } from '../errors';
import { HostPolicy, hostRegistrationProblem } from '../network/host-policy';
import { createValidationPipe } from '../http/validation.pipe';

/**
 * Validation parity, as properties: for thousands of generated values (the whole Unicode range, shell and
 * proxy syntax, look-alikes, lone surrogates, overlong strings; NaN, ±Infinity, negative, fractional and
 * huge numbers), whatever the request-time pipe accepts is also accepted by everything that uses it at deploy
 * time: the docker commands (through ServerOperations, quoted by shellJoin), the load balancer drivers (their
 * renderers and remote commands), the health probe's URL and request, and the batch plan and timers.
 * Equivalently: a value a deploy-time builder refuses is refused by the request-time pipe.
 *
 * Deterministic: FC_SEED picks another seed; a failure prints the seed and the shrunk counterexample.
 */
const SEED = Number(process.env.FC_SEED ?? 5_2026);
const RUNS = 200;
jest.setTimeout(120_000);

const pipe = createValidationPipe();

/** The DTO the API's own pipe makes of `body`, or null when it answers 400. */
async function accepted<T>(metatype: new () => T, body: Body): Promise<T | null> {
  try {
    return (await pipe.transform(structuredClone(body), { type: 'body', metatype })) as T;
  } catch (error) {
    if (error instanceof ValidationFailedError) return null;
    throw error;
  }
}

/** As `POST /api/servers` decides: the pipe, then the host policy (a literal address's spelling and denylist). */
async function acceptedServer(body: Body): Promise<CreateServerDto | null> {
  const dto = await accepted(CreateServerDto, body);
  if (dto === null || hostRegistrationProblem(dto.host, new HostPolicy()) !== null) return null;
  return dto;
}

// ---------------------------------------------------------------------------------------------------------
// Fields
// ---------------------------------------------------------------------------------------------------------

type Place = (request: RequestBodies, value: unknown) => void;
const onServer =
  (field: string): Place =>
  (r, value) =>
    (r.server[field] = value);
const onApplication =
  (field: string): Place =>
  (r, value) =>
    (r.application[field] = value);
const onBalancer =
  (field: string): Place =>
  (r, value) =>
    ((r.application.loadBalancer as Body)[field] = value);
const onRolling =
  (field: string): Place =>
  (r, value) =>
    (r.rolling[field] = value);

const FIELDS: [name: string, loadBalancer: string, values: fc.Arbitrary<unknown>, place: Place][] = [
  ['server.name', 'haproxy', text(['web-1', 'a', 'W.b_c-9', 'w'.repeat(63)]), onServer('name')],
  [
    'server.host',
    'nginx',
    text(['10.0.0.5', 'fd00::1', '::ffff:10.0.0.5', 'web-1.internal', 'localhost']),
    onServer('host'),
  ],
  [
    'server.host (traefik)',
    'traefik',
    text(['10.0.0.5', 'fe80::1', 'Web-1.Example.com', `${'a'.repeat(63)}.io`]),
    onServer('host'),
  ],
  [
    'server.host (numeric spellings)',
    'traefik',
    text(['0x7f.1', '2130706433', '10.0.0.5', '1.2.3', '0377.1']),
    onServer('host'),
  ],
  ['server.user', 'none', text(['root', 'deploy', '_x', 'a-b_c']), onServer('user')],
  ['server.port', 'none', number, onServer('port')],
  ['application.name', 'traefik', text(['shop', 'a', 's.h_o-p', 's'.repeat(63)]), onApplication('name')],
  [
    'application.image',
    'none',
    text(['ghcr.io/acme/shop', 'nginx', 'localhost:5000/a/b', '[::1]:5000/shop']),
    onApplication('image'),
  ],
  ['application.tag', 'none', text(['v1', 'latest', '1.2.3', '_x', 'V'.repeat(128)]), onApplication('tag')],
  ['application.containerPort', 'none', number, onApplication('containerPort')],
  ['application.hostPort', 'nginx', number, onApplication('hostPort')],
  ['application.env', 'none', envMap, onApplication('env')],
  [
    'application.loadBalancer',
    'none',
    fc.oneof(
      strangeJson,
      fc.constantFrom(...Object.values(LOAD_BALANCERS)).map((lb) => ({ ...lb })),
      fc
        .constantFrom(...Object.keys(LOAD_BALANCERS), 'envoy', '__proto__', 'toString')
        .map((type) => ({ type })),
    ),
    onApplication('loadBalancer'),
  ],
  ['application.secretEnv', 'none', envMap, onApplication('secretEnv')],
  [
    'application.healthCheckPath',
    'none',
    text(['/health', '/', '/a?b=c', '/%2e%2e/x', '/é']),
    onApplication('healthCheckPath'),
  ],
  [
    'traefik configPath',
    'traefik',
    text(['/etc/traefik/dynamic/shop.yaml', '/a', '/srv/%2e%2e/x.yaml']),
    onBalancer('configPath'),
  ],
  [
    'traefik domain',
    'traefik',
    text(['shop.example.com', 'a', 'xn--bcher-kva.example', '1.2.3.4']),
    onBalancer('domain'),
  ],
  ['traefik drainSeconds', 'traefik', number, onBalancer('drainSeconds')],
  [
    'nginx configPath',
    'nginx',
    text(['/etc/nginx/conf.d/shop.conf', '/srv/$x(y)/a&b.conf']),
    onBalancer('configPath'),
  ],
  ['nginx domain', 'nginx', text(['shop.example.com', 'localhost']), onBalancer('domain')],
  ['nginx listenPort', 'nginx', number, onBalancer('listenPort')],
  [
    'nginx reloadCommand',
    'nginx',
    text(['nginx -s reload', 'systemctl reload nginx && echo "ok $HOME"']),
    onBalancer('reloadCommand'),
  ],
  [
    'nginx testCommand',
    'nginx',
    text(['nginx -t', "nginx -t -c '/etc/nginx/x.conf'"]),
    onBalancer('testCommand'),
  ],
  ['nginx drainSeconds', 'nginx', number, onBalancer('drainSeconds')],
  ['haproxy backend', 'haproxy', text(['be_shop', 'a', 'b.e:1-2']), onBalancer('backend')],
  [
    'haproxy socketPath',
    'haproxy',
    text(['/run/haproxy/admin.sock', '/a', `/${'s'.repeat(106)}`]),
    onBalancer('socketPath'),
  ],
  ['haproxy drainSeconds', 'haproxy', number, onBalancer('drainSeconds')],
  [
    'rolling batchSize (absolute)',
    'none',
    number,
    (r, v) => Object.assign(r.rolling, { batchSize: v, batchSizeIsPercentage: false }),
  ],
  ['rolling batchSize (percentage)', 'none', number, onRolling('batchSize')],
  ['rolling waitInterval', 'none', number, onRolling('waitInterval')],
  ['rolling healthCheckTimeout', 'none', number, onRolling('healthCheckTimeout')],
  ['rolling healthCheckInterval', 'none', number, onRolling('healthCheckInterval')],
  ['rolling maxHealthCheckRetries', 'none', number, onRolling('maxHealthCheckRetries')],
  ['rolling minimumHealthyInstances', 'none', number, onRolling('minimumHealthyInstances')],
  ['rolling failureThreshold', 'none', number, onRolling('failureThreshold')],
  ['rolling healthCheckPath', 'none', text(['/ready', '/health?deep=1']), onRolling('healthCheckPath')],
];

describe('validation parity (fast-check): accepted at request time ⇒ accepted at deploy time', () => {
  let instance: Instance;
  const tally = { accepted: 0, refused: 0 };

  beforeAll(async () => {
    instance = await startInstance();
  });
  afterAll(() => instance.close());

  it('the unchanged base request is accepted and deploys, for every load balancer', async () => {
    for (const type of Object.keys(LOAD_BALANCERS)) {
      const r = baseRequest(type);
      const server = await acceptedServer(r.server);
      const app = await accepted(CreateApplicationDto, r.application);
      const rolling = await accepted(RollingUpdateDto, r.rolling);
      expect([server, app, rolling].every((dto) => dto !== null)).toBe(true);
      expect(await deployTimeProblem(server!, app!, rolling!, instance)).toBeNull();
    }
  });

  it.each(FIELDS)('%s (load balancer %s)', async (_name, loadBalancer, values, place) => {
    const counts = { accepted: 0, refused: 0 };
    await fc.assert(
      fc.asyncProperty(values, async (value) => {
        const r = baseRequest(loadBalancer);
        place(r, value);
        const server = await acceptedServer(r.server);
        const app = await accepted(CreateApplicationDto, r.application);
        const rolling = await accepted(RollingUpdateDto, r.rolling);
        if (server === null || app === null || rolling === null) {
          counts.refused++;
          return;
        }
        counts.accepted++;
        expect(await deployTimeProblem(server, app, rolling, instance)).toBeNull();
      }),
      { seed: SEED, numRuns: RUNS },
    );
    tally.accepted += counts.accepted;
    tally.refused += counts.refused;
    // Not vacuous: the generators reach both sides of every rule.
    expect(counts.accepted).toBeGreaterThanOrEqual(RUNS / 50);
    expect(counts.refused).toBeGreaterThanOrEqual(RUNS / 50);
  });

  it('tried thousands of values in all', () => {
    expect(tally.accepted + tally.refused).toBe(FIELDS.length * RUNS);
    expect(tally.accepted + tally.refused).toBeGreaterThanOrEqual(7000);
  });
});
