import fc from 'fast-check';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { posix } from 'node:path';
import { request } from 'undici';
import { utils } from 'ssh2';
import { FakeDocker } from '../../../test/fakes/fake-docker';
import { FixedClock } from '../../../test/fakes/fixed-clock';
import { RecordingExecutor } from '../../../test/fakes/recording-executor';
import { CreateApplicationDto } from '../../applications/create-application.dto';
import { toLoadBalancerConfig } from '../../applications/load-balancer.dto';
import { RollingUpdateDto } from '../../deployments/rolling-update.dto';
import { RemoteLoadBalancer } from '../../infra/load-balancer/remote-load-balancer';
import { DEFAULT_ROLLING_UPDATE, type ApplicationSpec, type ServerTarget } from '../../rollout/domain';
import { planBatches } from '../../rollout/planning/batches';
import type { RemoteCommand } from '../../rollout/ports';
import { ServerOperations } from '../../rollout/engine/server-operations';
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

type Body = Record<string, unknown>;
interface RequestBodies {
  server: Body;
  application: Body;
  rolling: Body;
}

const PRIVATE_KEY = utils.generateKeyPairSync('ed25519').private;
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
// Generators
// ---------------------------------------------------------------------------------------------------------

const SPECIALS = [
  ...['$(id)', '`id`', '${IFS}', ';', '&&', '|', '>', '<', '*', '?', '~', '!', '#', '=', '-', '--', '@'],
  ...["'", '"', '\\', '\\n', "'\\''", ' ', '\t', '\n', '\r', '\r\n', '\0', '\u001b[2J', '\u007f', '\u0085'],
  ...['.', '..', '/', '//', '/../', '/./', '%2e%2e', '%2f', '%00', '%0a', '%', ',', ':', '::', '[', ']'],
  ...['{', '}', '(', ')', '`) || Host(`evil', '\u202e', '\u200b', '\u200d', '\ufeff', '\u00a0', '\u2028'],
  ...['\u3000', 'ѕ', 'а', 'ｅ', '／', '．', '‥', 'K', 'ß', 'İ', 'é', 'e\u0301', '😀', '\ud800', '\udc00'],
  ...['\udbff\udfff', '\ue000', 'A', 'z', '0', '9', '_', 'a'.repeat(64), '€'.repeat(50)],
];
const piece = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...SPECIALS) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 3 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme-ascii', maxLength: 4 }) },
);
const hostileString = fc.array(piece, { maxLength: 10 }).map((parts) => parts.join(''));

/** A valid value with hostile pieces spliced in, so values close to the boundary are tried too. */
function mutated(valid: readonly string[]): fc.Arbitrary<string> {
  return fc
    .tuple(fc.constantFrom(...valid), fc.array(fc.tuple(fc.nat(), piece), { minLength: 1, maxLength: 3 }))
    .map(([base, inserts]) =>
      inserts.reduce((value, [at, text]) => {
        const i = at % (value.length + 1);
        return value.slice(0, i) + text + value.slice(i);
      }, base),
    );
}

/** A valid value grown past (or up to) a length limit with repeated safe or hostile characters. */
function grown(valid: readonly string[]): fc.Arbitrary<string> {
  return fc
    .tuple(
      fc.constantFrom(...valid),
      fc.integer({ min: 1, max: 140_000 }),
      fc.constantFrom('a', 'x/', "'", '€', '😀', '.'),
    )
    .map(
      ([base, length, filler]) => base + filler.repeat(Math.ceil(length / filler.length)).slice(0, length),
    );
}

const strangeJson = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.array(fc.string(), { maxLength: 2 }),
  fc.dictionary(fc.string({ maxLength: 3 }), fc.string({ maxLength: 3 }), { maxKeys: 2 }),
);

function text(valid: readonly string[]): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight: 3, arbitrary: mutated(valid) },
    { weight: 2, arbitrary: hostileString },
    { weight: 2, arbitrary: fc.constantFrom(...valid) },
    { weight: 1, arbitrary: grown(valid) },
    { weight: 1, arbitrary: strangeJson },
  );
}

const number: fc.Arbitrary<unknown> = fc.oneof(
  fc.double(),
  fc.integer({ min: -1_000_000, max: 1_000_000 }),
  fc.double({ min: -1, max: 70_000, noNaN: true }),
  fc.integer({ min: 0, max: 11_000 }),
  fc.constantFrom(0, -0, 0.01, 0.009, 0.1, 0.099, 1, 100, 101, 300, 300.01, 1000, 1001, 3600, 3600.001),
  fc.constantFrom(10_000, 10_001, 65_535, 65_536, 2 ** 31, 2 ** 53, 1e308, -1, NaN, Infinity, -Infinity),
  fc.constantFrom('5', '0x10', true, null, [1], {}),
);

const envMap: fc.Arbitrary<unknown> = fc.oneof(
  fc.dictionary(
    text(['A', 'NODE_ENV', '_x', 'toString']) as fc.Arbitrary<string>,
    text(['production', '', 'a b', "it's"]),
    { maxKeys: 4 },
  ),
  // Few large values: their quoted size, not their count, is what a command line cannot hold.
  fc
    .array(fc.tuple(fc.integer({ min: 1000, max: 33_000 }), fc.constantFrom('x', "'", '€', 'a b')), {
      minLength: 1,
      maxLength: 6,
    })
    .map((values) => Object.fromEntries(values.map(([n, c], i) => [`V${i}`, c.repeat(n).slice(0, 33_000)]))),
  strangeJson,
);

// ---------------------------------------------------------------------------------------------------------
// Requests and what deploy time does with them
// ---------------------------------------------------------------------------------------------------------

const LOAD_BALANCERS: Record<string, Body> = {
  none: { type: 'none' },
  traefik: {
    type: 'traefik',
    serverId: 9,
    configPath: '/etc/traefik/dynamic/shop.yaml',
    domain: 'shop.example.com',
  },
  nginx: {
    type: 'nginx',
    serverId: 9,
    configPath: '/etc/nginx/conf.d/shop.conf',
    listenPort: 80,
    domain: 'shop.example.com',
    reloadCommand: 'nginx -s reload',
    testCommand: 'nginx -t',
  },
  haproxy: { type: 'haproxy', serverId: 9, backend: 'be_shop', socketPath: '/run/haproxy/admin.sock' },
};

function baseRequest(loadBalancer = 'haproxy'): RequestBodies {
  return {
    server: { name: 'web-1', host: '10.0.0.5', port: 22, user: 'deploy', privateKey: PRIVATE_KEY },
    application: {
      name: 'shop',
      image: 'ghcr.io/acme/shop',
      tag: 'v1',
      containerPort: 3000,
      hostPort: 8080,
      env: { NODE_ENV: 'production' },
      healthCheckPath: '/health',
      serverIds: [1],
      loadBalancer: { ...LOAD_BALANCERS[loadBalancer] },
    },
    rolling: {},
  };
}

interface Sent {
  line: string;
  argv: readonly string[];
  stdin?: string;
}

/** Docker's own container name grammar (daemon/names.RestrictedNamePattern). */
const DOCKER_CONTAINER_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

/**
 * What the servers themselves accept, written down independently of the code under test, so that a rule
 * loosened on both sides at once (request time and builder share their predicates) is still caught:
 * Linux's MAX_ARG_STRLEN for the line sshd gives `$SHELL -c`, NAME_MAX and PATH_MAX, Docker's container names,
 * socat's address syntax and `sun_path`, and HAProxy's `;` between runtime commands.
 */
function hostProblem(command: Sent): string | null {
  if (Buffer.byteLength(command.line) + 1 > 128 * 1024) return 'longer than one exec argument (E2BIG)';
  const [program, verb = '', ...rest] = command.argv;
  if (program === 'docker') {
    const names =
      verb === 'run'
        ? [rest[rest.indexOf('--name') + 1]]
        : verb === 'rename'
          ? rest
          : ['start', 'rm', 'stop', 'inspect'].includes(verb)
            ? [rest.at(-1)]
            : [];
    for (const name of names) {
      if (name === undefined || !DOCKER_CONTAINER_NAME.test(name))
        return `docker refuses the container name ${JSON.stringify(name ?? '')}`;
    }
  }
  if (program === 'socat') {
    if (rest[0] === undefined) return 'socat without an address';
    const path = rest[0].replace(/^UNIX-CONNECT:/, '');
    if (Buffer.byteLength(path) > 107) return 'the socket path does not fit sun_path';
    if (/[,:!\s]/.test(path)) return 'socat would read the socket path as address syntax';
    const lines = (command.stdin ?? '').split('\n').filter((l) => l !== '');
    if (lines.length !== 1 || lines.some((l) => l.includes(';')))
      return 'more than one HAProxy runtime command';
  }
  const script = program === 'sh' ? (command.argv[2] ?? '') : '';
  const files = script.includes('mv -f')
    ? command.argv.slice(4)
    : script.includes('cat --')
      ? command.argv.slice(4)
      : program === 'rm' && verb === '-f' && rest[0] === '--'
        ? rest.slice(1)
        : [];
  for (const file of files) {
    const segments = file.split('/').slice(1);
    if (!file.startsWith('/') || posix.normalize(file) !== file)
      return `${JSON.stringify(file)} is not the file meant`;
    if (Buffer.byteLength(file) >= 4096 || segments.some((s) => Buffer.byteLength(s) > 255))
      return `${JSON.stringify(file)} passes NAME_MAX or PATH_MAX`;
  }
  return null;
}

/** The longest a setTimeout can wait (Node fires a longer one at once). */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** An HTTP server standing in for an instance: records every path it was asked for. */
interface Instance {
  port: number;
  paths: string[];
  close(): Promise<void>;
}

async function startInstance(): Promise<Instance> {
  const paths: string[] = [];
  const server: Server = createServer((req, res) => {
    paths.push(req.url ?? '');
    res.end('ok');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    paths,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * Everything deploy time does with an accepted request; returns why it would fail, or null. Any exception
 * counts: an InvalidCommandArgument, an UnsafeConfigValueError wrapped in a LoadBalancerError, shellJoin's
 * refusals, an invalid URL.
 */
async function deployTimeProblem(
  server: CreateServerDto,
  app: CreateApplicationDto,
  rolling: RollingUpdateDto,
  instance: Instance,
): Promise<string | null> {
  try {
    const target: ServerTarget = {
      id: 1,
      name: server.name,
      host: server.host,
      port: server.port ?? 22,
      user: server.user ?? 'root',
      privateKey: server.privateKey,
      hostKeyFingerprint: server.hostKeyFingerprint ?? null,
    };
    const loadBalancer = toLoadBalancerConfig(app.loadBalancer);
    const healthCheckPath = rolling.healthCheckPath ?? app.healthCheckPath ?? '/health';
    const spec: ApplicationSpec = {
      id: 1,
      name: app.name,
      image: app.image,
      tag: app.tag,
      containerPort: app.containerPort,
      hostPort: app.hostPort,
      env: app.env ?? {},
      ...((app as { secretEnv?: Record<string, string> }).secretEnv
        ? { secretEnv: (app as { secretEnv?: Record<string, string> }).secretEnv }
        : {}),
      healthCheckPath,
      serverIds: [1],
      loadBalancer,
    };

    // Docker: pull, swap an older running container for the new one, then restore it.
    const docker = new FakeDocker().seed(target.name, spec.name, `${spec.image}:old`);
    const sent: Sent[] = [];
    const record = (_server: ServerTarget, line: string, command: RemoteCommand) => {
      sent.push({ line, argv: command.argv, stdin: command.stdin });
      return undefined;
    };
    const executor = new RecordingExecutor().use(docker.responder).use(record);
    const operations = new ServerOperations(executor, target, spec, 7, 10);
    await operations.pull(spec.image, spec.tag);
    await operations.swap(spec.image, spec.tag);
    await operations.restorePrevious();

    // The health probe: the URL as the engine builds it, and its path reaching the instance.
    const host = target.host.includes(':') ? `[${target.host}]` : target.host;
    const url = new URL(`http://${host}:${spec.hostPort}${healthCheckPath}`);
    if (url.port !== String(spec.hostPort) && !(spec.hostPort === 80 && url.port === '')) {
      return `the health URL's port became ${url.port}`;
    }
    url.hostname = '127.0.0.1';
    url.port = String(instance.port);
    url.hash = '';
    const response = await request(url.toString(), { method: 'GET', reset: true });
    await response.body.dump();
    if (response.statusCode !== 200) return `health request answered ${response.statusCode}`;
    if (instance.paths.at(-1) !== url.pathname + url.search)
      return `health path arrived as ${instance.paths.at(-1)}`;

    // The load balancer: add the instance, then drain it.
    if (loadBalancer.type !== 'none') {
      const lbExecutor = new RecordingExecutor().use((_server, _line, command) =>
        command.stdin?.startsWith('show stat')
          ? {
              stdout: `# pxname,svname,scur,status\n${
                loadBalancer.type === 'haproxy' ? loadBalancer.backend : ''
              },${target.name},0,UP\n`,
            }
          : undefined,
      );
      lbExecutor.use(record);
      const balancer = new RemoteLoadBalancer(lbExecutor, new FixedClock());
      const lbTarget = {
        application: { id: 1, name: spec.name },
        server: { ...target, id: 9, name: 'lb' },
        config: loadBalancer,
      };
      const member = { serverId: 1, serverName: target.name, host: target.host, port: spec.hostPort };
      await balancer.addToRotation(lbTarget, [member], [member]);
      await balancer.removeFromRotation(lbTarget, [], [member]);
      if (loadBalancer.drainSeconds * 1000 + 2000 > MAX_TIMER_MS) return 'drain longer than a timer can wait';
    }

    for (const command of sent) {
      const problem = hostProblem(command);
      if (problem !== null) return `${problem}: ${command.line.slice(0, 200)}`;
    }

    // The plan and the timers of a rollout.
    // As the deployments service reads it: an absent or null option takes its default.
    const given = Object.entries(rolling).filter(([, value]) => value !== undefined && value !== null);
    const options = {
      ...DEFAULT_ROLLING_UPDATE,
      ...Object.fromEntries(given),
    } as typeof DEFAULT_ROLLING_UPDATE;
    const batches = planBatches([1, 2, 3, 4, 5, 6, 7], options.batchSize, options.batchSizeIsPercentage);
    if (batches.length === 0 || batches.flat().length !== 7) return 'the plan lost servers';
    for (const seconds of [options.waitInterval, options.healthCheckTimeout, options.healthCheckInterval]) {
      if (!Number.isFinite(seconds) || seconds < 0 || seconds * 1000 > MAX_TIMER_MS)
        return `a wait of ${seconds}s`;
    }
    const attempts =
      Math.ceil((options.healthCheckTimeout * 1000) / Math.max(options.healthCheckInterval * 1000, 100)) + 1;
    if (!Number.isSafeInteger(attempts) || !Number.isSafeInteger(options.maxHealthCheckRetries))
      return 'attempts';
    return null;
  } catch (error) {
    return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  }
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
