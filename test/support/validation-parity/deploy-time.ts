import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { posix } from 'node:path';
import { request } from 'undici';
import { usableEd25519Key } from '../ssh-keys';
import { FakeCapacity } from '../../fakes/fake-capacity';
import { FakeDocker } from '../../fakes/fake-docker';
import { FixedClock } from '../../fakes/fixed-clock';
import { RecordingExecutor } from '../../fakes/recording-executor';
import { shellJoin } from '../../../src/rollout/commands/shell';
import {
  APPLICATION_DEFAULTS,
  defaultAlternateHostPort,
} from '../../../src/applications/application-defaults';
import { CreateApplicationDto } from '../../../src/applications/create-application.dto';
import { toLoadBalancerConfig } from '../../../src/applications/load-balancer.dto';
import { RollingUpdateDto } from '../../../src/deployments/rolling-update.dto';
import { RemoteLoadBalancer } from '../../../src/infra/load-balancer/remote-load-balancer';
import { DEFAULT_ROLLING_UPDATE, type ApplicationSpec, type ServerTarget } from '../../../src/rollout/domain';
import { planBatches } from '../../../src/rollout/planning/batches';
import type { RemoteCommand } from '../../../src/rollout/ports';
import { ServerOperations } from '../../../src/rollout/engine/server-operations';
import { CreateServerDto } from '../../../src/servers/create-server.dto';

/** Request bodies of the three endpoints a deployment needs, and what deploy time does with them. */
export type Body = Record<string, unknown>;
export interface RequestBodies {
  server: Body;
  application: Body;
  rolling: Body;
}

const PRIVATE_KEY = usableEd25519Key();
// ---------------------------------------------------------------------------------------------------------
// Requests and what deploy time does with them
// ---------------------------------------------------------------------------------------------------------

export const LOAD_BALANCERS: Record<string, Body> = {
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

export function baseRequest(loadBalancer = 'haproxy'): RequestBodies {
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
    // Several runtime commands may share a connection, one per line; a value must never add one.
    const lines = (command.stdin ?? '').split('\n').filter((l) => l !== '');
    const runtimeCommand = /^(set server \S+ (state (drain|ready)|addr \S+ port \d+)|show stat \S+ 4 -1)$/;
    if (lines.length === 0 || lines.some((l) => l.includes(';') || !runtimeCommand.test(l)))
      return 'a line that is not one of the HAProxy runtime commands Rollout sends';
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
export interface Instance {
  port: number;
  paths: string[];
  close(): Promise<void>;
}

export async function startInstance(): Promise<Instance> {
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
export async function deployTimeProblem(
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
      alternateHostPort: app.alternateHostPort ?? defaultAlternateHostPort(app.hostPort),
      env: app.env ?? {},
      ...((app as { secretEnv?: Record<string, string> }).secretEnv
        ? { secretEnv: (app as { secretEnv?: Record<string, string> }).secretEnv }
        : {}),
      healthCheckPath,
      serverIds: [1],
      loadBalancer,
      stopTimeout: app.stopTimeout ?? APPLICATION_DEFAULTS.stopTimeout,
      minFreeMemoryMb: app.minFreeMemoryMb ?? APPLICATION_DEFAULTS.minFreeMemoryMb,
      minFreeDiskMb: app.minFreeDiskMb ?? APPLICATION_DEFAULTS.minFreeDiskMb,
      dockerDataPath: app.dockerDataPath ?? APPLICATION_DEFAULTS.dockerDataPath,
    };

    // Docker: pull, swap an older running container for the new one, then restore it.
    const docker = new FakeDocker().seed(target.name, spec.name, `${spec.image}:old`);
    const sent: Sent[] = [];
    const record = (_server: ServerTarget, line: string, command: RemoteCommand) => {
      sent.push({ line, argv: command.argv, stdin: command.stdin });
      return undefined;
    };
    const executor = new RecordingExecutor()
      .use(docker.responder)
      .use(new FakeCapacity().responder)
      .use(record);
    // What goes over SSH is the whole line of each exec (a sequence of commands is one): its length counts.
    const execLines: string[] = [];
    const runOne = executor.run.bind(executor);
    executor.run = (server, command) => {
      execLines.push(shellJoin(command.argv));
      return runOne(server, command);
    };
    const operations = new ServerOperations(executor, target, spec, 7);
    await operations.capacity();
    await operations.pull(spec.image, spec.tag);
    await operations.swap(spec.image, spec.tag);
    await operations.restorePrevious(spec.image, spec.tag);

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
      // HAProxy answers each runtime line in turn: an empty line for a `set`, the CSV for `show stat`.
      const stat = `# pxname,svname,scur,status\n${
        loadBalancer.type === 'haproxy' ? loadBalancer.backend : ''
      },${target.name},0,UP\n`;
      const lbExecutor = new RecordingExecutor().use((_server, line, command) =>
        line.includes('UNIX-CONNECT:')
          ? {
              stdout: (command.stdin ?? '')
                .split('\n')
                .filter(Boolean)
                .map((runtimeLine) => (runtimeLine.startsWith('show stat') ? `${stat}\n` : '\n'))
                .join(''),
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
    for (const line of execLines) {
      if (Buffer.byteLength(line) + 1 > 128 * 1024)
        return `an exec longer than one argument: ${line.slice(0, 200)}`;
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
