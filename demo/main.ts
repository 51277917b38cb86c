import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { DemoApi } from './api-client';
import { DeploymentWatch } from './deployment-watch';
import { type DemoFleet, startDemoFleet } from './fleet';
import { demoApiPort, demoDataDir, portFreeOnAll } from './places';
import {
  DEMO_APPLICATION,
  DEMO_CONTAINER_PORT,
  DEMO_IMAGE,
  demoSteps,
  removePreviousRun,
  runStep,
  type StepContext,
  type StepResult,
} from './scenario';
import { ServiceProcess } from './service-process';
import { LiveOutput } from './terminal';

/**
 * `npm run demo`: the service on its embedded default, a simulated fleet of 8 SSH servers, and three
 * deployments through the public API shown live from the socket.io events. Then the API stays up for
 * curl until Ctrl-C; with `--exit` the demo stops everything and exits 0 when every deployment ended as
 * expected (`completed`, `completed`, `rolled_back`), 1 otherwise.
 */
const SERVER_COUNT = 8;
const TEAM = 'demo';
const HEALTH_TIMEOUT_MS = 180_000;
const DEPLOYMENT_TIMEOUT_MS = 120_000;
/** Running rollouts finish before the service stops; a second Ctrl-C does not wait. */
const SERVICE_STOP_GRACE_MS = 60_000;

const USAGE = `usage: npm run demo [-- --exit]
  Starts Rollout on its embedded database, 8 simulated servers on 127.0.0.11-18, and shows a first
  deployment, a rolling update and a broken version rolled back. The API then stays up until Ctrl-C.
  --exit   stop everything after the rollback; exit 0 when every status was as expected, 1 otherwise
  Environment: ROLLOUT_DATA_DIR (data folder, default ./.rollout-demo; as root /var/lib/rollout-demo),
  PORT (the API's port, default 3000 or a free one).`;

interface Running {
  fleet?: DemoFleet;
  fleetLog?: WriteStream;
  service?: ServiceProcess;
  watch?: DeploymentWatch;
}

class Demo {
  private readonly running: Running = {};
  private readonly startedAt = Date.now();
  private stopping: Promise<void> | null = null;
  readonly abort = new AbortController();

  constructor(
    private readonly out: LiveOutput,
    private readonly exitAfterwards: boolean,
  ) {}

  /** Runs the demo; resolves with the failures (empty when every deployment ended as expected). */
  async run(): Promise<string[]> {
    const dataDir = this.prepareDataDir();
    const port = await demoApiPort(process.env);
    const fleet = await this.startFleet(dataDir);
    const service = await this.startService(dataDir, port);
    const token = await service.createToken(TEAM, 'demo');
    const api = new DemoApi(service.url, token);
    const { applicationId, names } = await this.register(api, fleet);
    const watch = await DeploymentWatch.connect(service.url, token);
    this.running.watch = watch;
    const failures = await this.deploy({
      api,
      watch,
      out: this.out,
      applicationId,
      names,
      signal: this.abort.signal,
      timeoutMs: DEPLOYMENT_TIMEOUT_MS,
    });
    if (!this.exitAfterwards) this.printNextSteps(service.url, token, applicationId, dataDir);
    return failures;
  }

  private prepareDataDir(): string {
    const dataDir = demoDataDir(process.env, process.getuid?.(), process.cwd());
    // As root the embedded PostgreSQL's user must pass through it (o+x); nobody else needs to read it.
    mkdirSync(dataDir, { recursive: true, mode: process.getuid?.() === 0 ? 0o711 : 0o700 });
    this.out.line('Rollout demo');
    this.out.line(`  data folder   ${dataDir} (kept for the next run)`);
    return dataDir;
  }

  private async startFleet(dataDir: string): Promise<DemoFleet> {
    const logPath = join(dataDir, 'demo-fleet.log');
    this.out.line(`  fleet log     ${logPath}`);
    const log = createWriteStream(logPath, { flags: 'a', mode: 0o600 });
    this.running.fleetLog = log;
    const fleet = await startDemoFleet({
      count: SERVER_COUNT,
      dataDir: join(dataDir, 'fleet'),
      log: (line) => log.write(`${new Date().toISOString()} ${line}\n`),
    });
    this.running.fleet = fleet;
    const hosts = fleet.servers.map((server) => server.host);
    this.out.line(
      `Started ${fleet.servers.length} simulated servers: SSH on ${hosts[0] ?? '?'} … ${hosts.at(-1) ?? '?'}` +
        ` (at ${this.sinceStart()})`,
    );
    return fleet;
  }

  private async startService(dataDir: string, port: number): Promise<ServiceProcess> {
    const logFile = join(dataDir, 'demo-service.log');
    this.out.line(
      `Starting the service on http://127.0.0.1:${port} (embedded PostgreSQL, in-process worker)`,
    );
    this.out.line(`  its log      ${logFile}`);
    const service = new ServiceProcess({ dataDir, port, logFile, env: process.env });
    this.running.service = service;
    await service.waitUntilHealthy(HEALTH_TIMEOUT_MS);
    this.out.line(`The service is ready (at ${this.sinceStart()})`);
    this.throwIfStopping();
    return service;
  }

  /** The fleet's servers and the demo application, through the REST API, replacing an earlier run's. */
  private async register(
    api: DemoApi,
    fleet: DemoFleet,
  ): Promise<{ applicationId: number; names: Map<number, string> }> {
    const removed = await removePreviousRun(
      api,
      fleet.servers.map((server) => server.name),
      this.abort.signal,
    );
    if (removed > 0)
      this.out.line(`Removed the servers and application of the previous demo run (${removed})`);
    const names = new Map<number, string>();
    for (const server of fleet.servers) {
      const { id } = await api.createServer({
        name: server.name,
        host: server.host,
        port: server.port,
        user: server.user,
        privateKey: server.privateKey,
        hostKeyFingerprint: server.hostKeyFingerprint,
      });
      names.set(id, server.name);
    }
    const hostPort = await portFreeOnAll(
      fleet.servers.map((server) => server.host),
      8080,
    );
    const application = await api.createApplication({
      name: DEMO_APPLICATION,
      image: DEMO_IMAGE,
      tag: 'v1',
      containerPort: DEMO_CONTAINER_PORT,
      hostPort,
      env: { GREETING: 'hello from the demo' },
      healthCheckPath: '/health',
      serverIds: [...names.keys()],
      loadBalancer: { type: 'none' },
    });
    this.out.line(
      `Registered ${names.size} servers and the application ${DEMO_APPLICATION} (id ${application.id}, ` +
        `containers on port ${hostPort} of each server) through the REST API`,
    );
    return { applicationId: application.id, names };
  }

  /** The three deployments, one after the other; returns what did not end as expected. */
  private async deploy(context: StepContext): Promise<string[]> {
    const failures: string[] = [];
    const results: StepResult[] = [];
    for (const step of demoSteps(SERVER_COUNT)) {
      this.throwIfStopping();
      this.out.line();
      const result = await runStep(context, step);
      results.push(result);
      const status = result.progress.status;
      if (results.length === 1 && status === 'completed') {
        this.out.line(`First completed rollout at ${this.sinceStart()}`);
      }
      if (status !== step.expected) {
        failures.push(`deployment of ${step.tag} ended ${status}, expected ${step.expected}`);
      }
    }
    this.out.line();
    this.out.line(
      `Statuses: ${results.map((r) => `${r.progress.tag ?? '?'} ${r.progress.status}`).join(', ')}` +
        ` (${this.sinceStart()} in all)`,
    );
    return failures;
  }

  /** Time since the demo started, for the timeline lines: `6.3 s`. */
  private sinceStart(): string {
    return `${((Date.now() - this.startedAt) / 1000).toFixed(1)} s`;
  }

  /** Stops the service (SIGTERM, waiting for it), then the fleet; idempotent. */
  stop(): Promise<void> {
    this.abort.abort();
    this.stopping ??= (async () => {
      const { watch, service, fleet, fleetLog } = this.running;
      watch?.close();
      await service?.stop(SERVICE_STOP_GRACE_MS);
      await fleet?.stop();
      await new Promise((done) => (fleetLog ? fleetLog.end(done) : done(undefined)));
    })();
    return this.stopping;
  }

  /** Resolves if the service ends (never when it was not started). */
  serviceEnded(): Promise<string> {
    return this.running.service?.ended() ?? new Promise(() => undefined);
  }

  serviceFailure(): string {
    return this.running.service?.endedUnexpectedly().message ?? 'The service is not running';
  }

  /** The second Ctrl-C: no waiting. */
  kill(): void {
    this.running.service?.kill();
  }

  private throwIfStopping(): void {
    if (this.abort.signal.aborted) throw new Error('interrupted');
  }

  private printNextSteps(url: string, token: string, applicationId: number, dataDir: string): void {
    const { out } = this;
    const auth = '-H "Authorization: Bearer $TOKEN"';
    out.line();
    out.line(`The API keeps running at ${url}/api (team "${TEAM}"; OpenAPI at ${url}/docs).`);
    out.line(`  export TOKEN=${token}`);
    out.line(`  curl ${auth} '${url}/api/deployments?applicationId=${applicationId}'`);
    out.line(`  curl ${auth} ${url}/api/applications/${applicationId}/instances`);
    out.line(
      `  curl ${auth} -H 'Content-Type: application/json' ${url}/api/deployments -d '{"applicationId":${applicationId},"tag":"v4-slow"}'`,
    );
    out.line(
      `    and with its id: curl ${auth} -H 'Content-Type: application/json' ${url}/api/deployments/ID/rolling-update -d '{"waitInterval":1}'`,
    );
    out.line(
      `  Another token: ROLLOUT_DATA_DIR=${dataDir} npm run --silent cli -- token create --team ${TEAM}`,
    );
    out.line('Press Ctrl-C to stop the service and the simulated servers.');
  }
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const unknown = args.filter((arg) => arg !== '--exit');
  if (unknown.length > 0) {
    process.stderr.write(`unknown argument ${unknown.join(' ')}\n${USAGE}\n`);
    return 2;
  }
  const exitAfterwards = args.includes('--exit');
  const out = new LiveOutput(process.stdout, process.env);
  const demo = new Demo(out, exitAfterwards);

  const interrupt = new Interrupt(
    () => {
      out.line(
        'Stopping the service (running rollouts finish first) and the simulated servers … Ctrl-C again to force',
      );
      return demo.stop().then(() => (exitAfterwards ? 130 : 0));
    },
    () => {
      out.line('Stopping at once.');
      demo.kill();
      process.exit(130);
    },
  );
  process.on('SIGINT', () => interrupt.signal());
  process.on('SIGTERM', () => interrupt.signal());
  // Should the demo die some other way, the service must not outlive it.
  process.on('exit', () => demo.kill());

  let failures: string[];
  try {
    failures = await demo.run();
  } catch (error) {
    const stopping = interrupt.stopping();
    if (stopping) return stopping;
    out.line(`The demo failed: ${(error as Error).message}`);
    await demo.stop();
    return 1;
  }
  const stopping = interrupt.stopping();
  if (stopping) return stopping;
  for (const failure of failures) out.line(`Unexpected: ${failure}`);
  if (exitAfterwards) {
    await demo.stop();
    out.line(failures.length === 0 ? 'Every deployment ended as expected; stopped everything.' : 'Stopped.');
    return failures.length === 0 ? 0 : 1;
  }
  await Promise.race([interrupt.requested, demo.serviceEnded()]);
  const stopped = interrupt.stopping();
  if (!stopped) {
    // Nothing to offer without the API: say why, and stop the simulated servers too.
    out.line(demo.serviceFailure());
    await demo.stop();
    return 1;
  }
  const code = await stopped;
  out.line('Stopped.');
  return code;
}

/** Ctrl-C (or SIGTERM): the first stops everything in order, a second one at once. */
class Interrupt {
  private pending: Promise<number> | null = null;
  private onRequest: () => void = () => undefined;
  readonly requested = new Promise<void>((done) => (this.onRequest = done));

  constructor(
    private readonly stopInOrder: () => Promise<number>,
    private readonly stopAtOnce: () => void,
  ) {}

  signal(): void {
    if (this.pending) return this.stopAtOnce();
    this.pending = this.stopInOrder();
    this.onRequest();
  }

  /** The exit code once everything has stopped, when an interrupt came; null otherwise. */
  stopping(): Promise<number> | null {
    return this.pending;
  }
}

void main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);
