import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DemoFleet, startDemoFleet } from '../../demo/fleet';
import { defined } from '../support/defined';
import { freePort } from '../support/net';
import {
  type EmbeddedService,
  isAlive,
  postmasterPid,
  startEmbeddedService,
} from './support/embedded-service';

jest.setTimeout(180_000);

const ROOT = join(__dirname, '..', '..');
const ROLLOUT = join(ROOT, 'dist', 'src', 'client', 'main.js');
const FIRST_ADDRESS = '127.0.0.111';
/** Fast health checks, no pause between batches: the rollouts below take seconds. */
const FAST = ['--wait', '0', '--health-interval', '0.05', '--health-timeout', '10'];

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

interface DeploymentOut {
  id: number;
  status: string;
  tag: string;
  previousTag: string | null;
  failureReason: string | null;
  completedBatches: number;
  failedBatches: number;
}

/** Lines of an output, without the empty one after the last newline. */
function lines(text: string): string[] {
  return text.split('\n').filter((line, index, all) => line !== '' || index < all.length - 1);
}

describe('the rollout command-line client against the running API (embedded mode, demo fleet)', () => {
  /** Fleet keys, the key file, the client's configuration. */
  let dataDir: string;
  /** The service's own data folder: a temporary folder of its own (the embedded PostgreSQL must reach it). */
  let serviceDir: string;
  let configDir: string;
  let fleet: DemoFleet;
  let service: EmbeddedService | undefined;
  let url: string;
  let adminToken: string;
  let hostPort: number;

  /**
   * The built binary as a child process (asynchronously: the demo fleet's SSH servers live in this
   * process and must keep answering). Only the variables given reach it besides PATH and HOME.
   */
  const rollout = (args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> =>
    new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [ROLLOUT, ...args], {
        cwd: ROOT,
        env: { PATH: process.env.PATH, HOME: process.env.HOME, ROLLOUT_CONFIG_DIR: configDir, ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
      child.once('error', reject);
      child.once('close', (code) => resolve({ code, stdout, stderr }));
    });

  /** The command, which must succeed; with `--json` its stdout parsed. */
  const json = async <T>(args: string[]): Promise<T> => {
    const run = await rollout([...args, '--json']);
    if (run.code !== 0) throw new Error(`rollout ${args.join(' ')} exited ${run.code}: ${run.stderr}`);
    return JSON.parse(run.stdout) as T;
  };

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'rollout-cli-e2e-'));
    serviceDir = mkdtempSync(join(tmpdir(), 'rollout-cli-e2e-service-'));
    configDir = join(dataDir, 'client-config');
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    fleet = await startDemoFleet({ count: 4, dataDir: join(dataDir, 'fleet'), firstAddress: FIRST_ADDRESS });
    hostPort = await freePort(FIRST_ADDRESS);
    service = startEmbeddedService({ dataDir: serviceDir, port, logLevel: 'warn' });
    await service.waitUntilHealthy();
    adminToken = await service.firstToken();
  });

  afterAll(async () => {
    await service?.stop();
    const orphan = postmasterPid(serviceDir);
    if (orphan && isAlive(orphan)) process.kill(orphan, 'SIGINT');
    await fleet?.stop();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(serviceDir, { recursive: true, force: true });
  });

  it('refuses a wrong token in one line naming the status, without echoing it, and saves nothing', async () => {
    const wrong = `rlt_${'x'.repeat(43)}`;
    const login = await rollout(['login', url, '--token', wrong]);
    expect(login.code).toBe(3);
    expect(login.stderr).toBe(`error: the API at ${url} refused the token (401); nothing was saved\n`);
    expect(login.stdout).toBe('');
    expect(() => statSync(join(configDir, 'config.json'))).toThrow();

    const list = await rollout(['servers', 'list'], { ROLLOUT_URL: url, ROLLOUT_TOKEN: wrong });
    expect(list.code).toBe(3);
    expect(lines(list.stderr)).toEqual([
      expect.stringMatching(/^error: GET \/api\/servers\?limit=500 answered 401: /),
    ]);
    expect(list.stdout + list.stderr + login.stdout + login.stderr).not.toContain(wrong);

    const closed = `http://127.0.0.1:${await freePort()}`;
    const refused = await rollout(['apps', 'list'], { ROLLOUT_URL: closed, ROLLOUT_TOKEN: adminToken });
    expect(refused.code).toBe(4);
    expect(refused.stderr).toBe(
      `error: cannot reach the API at ${closed}: connection refused (is it running?)\n`,
    );
  });

  it('logs in: the token checked, stored 0600 in a 0700 folder, printed nowhere', async () => {
    const run = await rollout(['login', url, '--token', adminToken, '--config-dir', configDir]);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(`logged in to ${url}; saved in ${join(configDir, 'config.json')}\n`);
    expect(run.stdout + run.stderr).not.toContain(adminToken);
    expect(statSync(join(configDir, 'config.json')).mode & 0o777).toBe(0o600);
    expect(statSync(configDir).mode & 0o777).toBe(0o700);
    expect(JSON.parse(readFileSync(join(configDir, 'config.json'), 'utf8'))).toEqual({
      url,
      token: adminToken,
    });
  });

  it('registers the fleet with servers add --key-file and lists it', async () => {
    const keyFile = join(dataDir, 'fleet-key');
    writeFileSync(keyFile, defined(fleet.servers[0], 'a fleet server').privateKey, { mode: 0o600 });
    for (const server of fleet.servers) {
      const run = await rollout([
        'servers',
        'add',
        '--name',
        server.name,
        '--host',
        server.host,
        '--port',
        String(server.port),
        '--user',
        server.user,
        '--key-file',
        keyFile,
        '--host-key-fingerprint',
        server.hostKeyFingerprint,
      ]);
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(
        new RegExp(
          `^server \\d+ ${server.name} added \\(demo@${server.host.replace(/\./g, '\\.')}:${server.port}\\)\\n$`,
        ),
      );
      expect(run.stdout + run.stderr).not.toContain('PRIVATE KEY');
    }
    const listed = await json<{ name: string; host: string; hostKeyFingerprint: string }[]>([
      'servers',
      'list',
    ]);
    expect(listed.map((server) => server.name).sort()).toEqual(['web-1', 'web-2', 'web-3', 'web-4']);
    expect(JSON.stringify(listed)).not.toContain('PRIVATE KEY');
    const table = await rollout(['servers', 'list']);
    expect(lines(table.stdout)[0]).toMatch(/^ID\s+NAME\s+ADDRESS\s+USER\s+HOST KEY$/);
    expect(table.stdout).toContain(`web-1  ${FIRST_ADDRESS}:`);
  });

  it('creates an application without a load balancer and rolls out its first version', async () => {
    const created = await json<{
      id: number;
      name: string;
      serverIds: number[];
      loadBalancer: { type: string };
    }>([
      'apps',
      'create',
      'shop',
      '--image',
      'registry.demo.test/shop',
      '--tag',
      'v1',
      '--container-port',
      '8080',
      '--host-port',
      String(hostPort),
      '--servers',
      'web-1,web-2,web-3,web-4',
      '--lb',
      'none',
    ]);
    expect(created).toMatchObject({ name: 'shop', loadBalancer: { type: 'none' } });
    expect(created.serverIds).toHaveLength(4);
    const apps = await json<{ name: string }[]>(['apps', 'list']);
    expect(apps.map((app) => app.name)).toEqual(['shop']);

    const first = await json<DeploymentOut>([
      'deploy',
      'shop',
      '--tag',
      'v1',
      '--batch',
      '100%',
      '--min-healthy',
      '0',
      ...FAST,
      '--watch',
    ]);
    expect(first).toMatchObject({ status: 'completed', tag: 'v1' });
  });

  it('deploy --plan --yes --watch shows the plan, a bar per batch with each server, and exits 0 on completed', async () => {
    const run = await rollout([
      'deploy',
      'shop',
      '--tag',
      'v2',
      '--batch',
      '25%',
      ...FAST,
      '--plan',
      '--yes',
      '--watch',
    ]);
    const out = lines(run.stdout);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(out[0]).toMatch(/^plan for shop: v1 → v2 \(deployment \d+\), 4 batches, about \d/);
    expect(out.slice(1, 5)).toEqual([
      '  batch 1  web-1',
      '  batch 2  web-2',
      '  batch 3  web-3',
      '  batch 4  web-4',
    ]);
    expect(out).toContain('  at least 3 instances stay in rotation');
    // Progress lines (appended, as the output is not a terminal) end with every batch full and completed.
    for (const [index, name] of ['web-1', 'web-2', 'web-3', 'web-4'].entries()) {
      expect(out).toContain(
        `  batch ${index + 1}/4 [####################] 1/1  ${name} in_rotation  completed`,
      );
    }
    expect(
      out.some((line) =>
        /^ {2}batch 1\/4 \[#*-+\] 0\/1 {2}web-1 (draining|pulling|starting|health_checking)/.test(line),
      ),
    ).toBe(true);
    expect(out.at(-1)).toMatch(/^deployment \d+ \(v1 → v2\): completed after \d+\.\d s$/);
    expect(run.stdout).not.toContain('\x1b[');

    const instances = await json<{ serverId: number; tag: string; inRotation: boolean }[]>([
      'apps',
      'instances',
      'shop',
    ]);
    expect(instances).toHaveLength(4);
    expect(instances.every((instance) => instance.tag === 'v2' && instance.inRotation)).toBe(true);
    const table = lines((await rollout(['apps', 'instances', 'shop'])).stdout);
    expect(table[0]).toMatch(/^SERVER\s+VERSION\s+STATE\s+IN ROTATION\s+PORT$/);
    expect(table.slice(1).every((line) => /^web-\d\s+v2\s+running\s+yes\s+(\d+|-)$/.test(line))).toBe(true);
  });

  it('deploy --watch --json of a broken version prints the final deployment, rolled_back, and exits non-zero', async () => {
    const run = await rollout([
      'deploy',
      'shop',
      '--tag',
      'v3-broken',
      '--batch',
      '1',
      ...FAST,
      '--max-retries',
      '5',
      '--failure-threshold',
      '1',
      '--plan',
      '--yes',
      '--watch',
      '--json',
    ]);
    expect(run.code).toBe(1);
    const final = JSON.parse(run.stdout) as DeploymentOut;
    expect(final).toMatchObject({ status: 'rolled_back', tag: 'v3-broken', previousTag: 'v2' });
    expect(final.failureReason).toEqual(expect.stringContaining('web-1'));
    // People's text (plan, progress, outcome) went to stderr; the status verbatim and the reason in words.
    expect(run.stderr).toContain('plan for shop: v2 → v3-broken');
    expect(run.stderr).toContain(`deployment ${final.id} (v2 → v3-broken): rolled_back after`);
    expect(run.stderr).toContain(`reason: ${defined(final.failureReason ?? undefined, 'a failure reason')}`);
    for (const server of fleet.servers) {
      expect(
        fleet
          .containers(server.name)
          .filter((c) => c.running)
          .map((c) => c.tag),
      ).toEqual(['v2']);
    }

    const status = await rollout(['status', String(final.id)]);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain('  batch 1/4 [####################] 1/1  web-1 rolled_back  rolled_back');
    expect(status.stdout).toContain('web-2 untouched');
    const events = await json<{ id: number; serverId: number | null; phase: string }[]>([
      'events',
      String(final.id),
    ]);
    expect(events.map((event) => event.id)).toEqual(
      [...events.map((event) => event.id)].sort((a, b) => a - b),
    );
    expect(events.map((event) => event.phase)).toEqual(expect.arrayContaining(['unhealthy', 'rolled_back']));
  });

  it('history lists the deployments newest first; controls on a finished deployment answer 409 in one line', async () => {
    const history = await json<DeploymentOut[]>(['history', 'shop']);
    expect(history.map((deployment) => [deployment.tag, deployment.status])).toEqual([
      ['v3-broken', 'rolled_back'],
      ['v2', 'completed'],
      ['v1', 'completed'],
    ]);
    const table = lines((await rollout(['history', 'shop'])).stdout);
    expect(table[0]).toMatch(/^ID\s+VERSION\s+STATUS\s+BATCHES\s+CREATED\s+TOOK\s+REASON$/);
    expect(table[1]).toMatch(/v2 → v3-broken\s+rolled_back\s+0\/4 \(1 failed\)/);

    const latest = defined(history[0], 'the latest deployment');
    const pause = await rollout(['pause', String(latest.id)]);
    expect(pause.code).toBe(3);
    expect(lines(pause.stderr)).toEqual([
      expect.stringMatching(new RegExp(`^error: POST /api/deployments/${latest.id}/pause answered 409: `)),
    ]);
  });
});
