import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DemoFleet, startDemoFleet } from '../../demo/fleet';
import { defined } from '../support/defined';
import { freePort } from '../support/net';
import { waitFor } from '../support/wait';
import {
  demoServerBody,
  type EmbeddedService,
  isAlive,
  postmasterPid,
  startEmbeddedService,
} from './support/embedded-service';

jest.setTimeout(240_000);

const ROOT = join(__dirname, '..', '..');
const CLI = join(ROOT, 'dist', 'src', 'cli.js');

describe('npm start on the embedded default (no DATABASE_URL, no REDIS_URL)', () => {
  let dataDir: string;
  let fleet: DemoFleet;
  let port: number;
  let service: EmbeddedService | null = null;
  const env = (): Record<string, string> => ({ ROLLOUT_DATA_DIR: dataDir, PORT: String(port) });
  const start = () => startEmbeddedService({ dataDir, port });
  const api = async (token: string, method: string, path: string, body?: unknown) => {
    const response = await fetch(`http://127.0.0.1:${port}${path}`, {
      method,
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  };

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'rollout-embedded-'));
    port = await freePort();
    fleet = await startDemoFleet({ count: 4, dataDir: join(dataDir, 'fleet'), firstAddress: '127.0.0.91' });
  });

  afterAll(async () => {
    if (service && service.child.exitCode === null) {
      service.child.kill('SIGKILL');
      await service.exited;
    }
    const orphan = postmasterPid(dataDir);
    if (orphan && isAlive(orphan)) process.kill(orphan, 'SIGINT');
    await fleet?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('starts from nothing, rolls out, survives SIGKILL mid-rollout, resumes without redoing a batch', async () => {
    const first = start();
    service = first;
    const health = await first.waitUntilHealthy();
    expect(health).toMatchObject({ status: 'ok', details: { database: { status: 'up' } } });
    expect(JSON.stringify(health)).not.toContain('redis');
    // The first start printed one admin token and generated the APP_KEY into the data folder (0600).
    const adminToken = /^(rlt_[A-Za-z0-9_-]{43})$/m.exec(first.output())?.[1];
    expect(adminToken).toBeDefined();
    expect(first.output()).toContain('initialising the embedded PostgreSQL');
    expect(first.output()).toContain(`generated APP_KEY into ${join(dataDir, 'app-key')}`);
    expect(readFileSync(join(dataDir, 'app-key'), 'utf8').trim()).toMatch(/^[0-9a-f]{64}$/);
    // Only the owner may read the key and the database password.
    for (const secret of ['app-key', 'postgres.secret']) {
      expect(
        spawnSync('stat', ['-c', '%a', join(dataDir, secret)])
          .stdout.toString()
          .trim(),
      ).toBe('600');
    }

    // The CLI reaches the running embedded database through the data folder.
    const cli = spawnSync(process.execPath, [CLI, 'token', 'create', '--team', 'ops'], {
      cwd: ROOT,
      env: { ...process.env, ...env(), DATABASE_URL: '' },
      encoding: 'utf8',
    });
    expect(cli.status).toBe(0);
    const token = cli.stdout.trim();
    expect(token).toMatch(/^rlt_[A-Za-z0-9_-]{43}$/);
    expect((await api(defined(adminToken, 'the first admin token'), 'GET', '/api/servers')).status).toBe(200);

    const serverIds: number[] = [];
    for (const server of fleet.servers) {
      const created = await api(token, 'POST', '/api/servers', demoServerBody(server));
      expect(created.status).toBe(201);
      serverIds.push(created.body.id as number);
    }
    const hostPort = await freePort('127.0.0.91');
    const app = await api(token, 'POST', '/api/applications', {
      name: 'shop',
      image: 'registry.demo.test/shop',
      tag: 'v1',
      containerPort: 8080,
      hostPort,
      healthCheckPath: '/health',
      serverIds,
      loadBalancer: { type: 'none' },
    });
    expect(app.status).toBe(201);
    const applicationId = app.body.id as number;
    const fast = { healthCheckInterval: 0.05, healthCheckTimeout: 10, minimumHealthyInstances: 0 };

    const rollOut = async (tag: string, options: Record<string, unknown>) => {
      const created = await api(token, 'POST', '/api/deployments', { applicationId, tag });
      expect(created.status).toBe(201);
      const id = created.body.id as number;
      expect((await api(token, 'POST', `/api/deployments/${id}/rolling-update`, options)).status).toBe(202);
      return id;
    };
    const statusOf = async (id: number) => (await api(token, 'GET', `/api/deployments/${id}`)).body;
    const finished = (id: number, timeoutMs: number) =>
      waitFor(
        `deployment ${id} to finish`,
        async () => {
          const deployment = await statusOf(id);
          return ['completed', 'failed', 'rolled_back', 'cancelled'].includes(deployment.status as string)
            ? deployment
            : undefined;
        },
        timeoutMs,
      );

    const v1 = await rollOut('v1', { ...fast, batchSize: 100 });
    expect(await finished(v1, 60_000)).toMatchObject({ status: 'completed' });

    // v2 one server at a time with a pause between batches: killed once the first batch is done.
    const v2 = await rollOut('v2', {
      ...fast,
      batchSize: 1,
      batchSizeIsPercentage: false,
      waitInterval: 1.5,
    });
    await waitFor(
      'the first batch of v2 to complete',
      async () => ((await statusOf(v2)).completedBatches as number) >= 1 || undefined,
      60_000,
    );
    const batchesBefore = (await api(token, 'GET', `/api/deployments/${v2}/batches`)).body as unknown as {
      batchNumber: number;
      status: string;
      startedAt: string;
      completedAt: string | null;
    }[];
    const doneBefore = batchesBefore.filter((batch) => batch.status === 'completed');
    expect(doneBefore.length).toBeGreaterThanOrEqual(1);
    const orphanedPostgres = postmasterPid(dataDir);
    first.child.kill('SIGKILL');
    await first.exited;
    // SIGKILL gave the process no chance to stop its PostgreSQL: the next start must deal with it.
    expect(orphanedPostgres !== null && isAlive(orphanedPostgres)).toBe(true);

    const second = start();
    service = second;
    await second.waitUntilHealthy();
    const done = await finished(v2, 120_000);
    expect(done).toMatchObject({ status: 'completed', completedBatches: 4, failedBatches: 0 });
    // The data folder was reused: no second initialisation, no second token, the same APP_KEY.
    expect(second.output()).not.toContain('initialising the embedded PostgreSQL');
    expect(second.output()).not.toMatch(/^rlt_/m);
    expect(second.output()).toContain('left running by a Rollout process that was killed');
    expect(second.output()).toContain('resuming deployments left queued or in progress');
    const batchesAfter = (await api(token, 'GET', `/api/deployments/${v2}/batches`)).body as unknown as {
      batchNumber: number;
      startedAt: string;
      completedAt: string | null;
    }[];
    for (const before of doneBefore) {
      const after = batchesAfter.find((batch) => batch.batchNumber === before.batchNumber);
      expect(after).toMatchObject({ startedAt: before.startedAt, completedAt: before.completedAt });
    }
    for (const server of fleet.servers) {
      const running = fleet.containers(server.name).filter((container) => container.running);
      expect(running.map((container) => container.tag)).toEqual(['v2']);
    }

    // A clean stop: the application closes, then the embedded server, and the port record goes.
    expect(await second.stop()).toBe(0);
    const pid = postmasterPid(dataDir);
    expect(pid === null || !isAlive(pid)).toBe(true);
    expect(existsSync(join(dataDir, 'postgres.json'))).toBe(false);

    // With nothing running, the CLI starts the embedded database for the command and stops it after.
    const listed = spawnSync(process.execPath, [CLI, 'token', 'list', '--team', 'ops', '--json'], {
      cwd: ROOT,
      env: { ...process.env, ...env(), DATABASE_URL: '' },
      encoding: 'utf8',
    });
    expect(listed.status).toBe(0);
    expect(JSON.parse(listed.stdout)).toEqual([expect.objectContaining({ scope: 'admin' })]);
    expect(listed.stdout).not.toContain('rlt_');
    const after = postmasterPid(dataDir);
    expect(after === null || !isAlive(after)).toBe(true);
  });

  it('runs for a user who is not root: PostgreSQL as that user, in a folder of theirs', async () => {
    if (process.getuid?.() !== 0) {
      // Already not root: the first test ran this path.
      expect(process.getuid?.()).not.toBe(0);
      return;
    }
    const uid = Number(spawnSync('id', ['-u', 'nobody'], { encoding: 'utf8' }).stdout.trim());
    const gid = Number(spawnSync('id', ['-g', 'nobody'], { encoding: 'utf8' }).stdout.trim());
    const parent = mkdtempSync(join(tmpdir(), 'rollout-user-'));
    const home = join(parent, 'data');
    try {
      chmodSync(parent, 0o755);
      mkdirSync(home, { mode: 0o700 });
      chownSync(home, uid, gid);
      const port = await freePort();
      const asUser = startEmbeddedService({ dataDir: home, port, uid, gid });
      const health = await asUser.waitUntilHealthy();
      expect(health).toMatchObject({ status: 'ok' });
      expect(await asUser.firstToken()).toMatch(/^rlt_/);
      // Everything it wrote belongs to that user; the key and the password are theirs alone.
      for (const entry of ['app-key', 'postgres.secret', 'postgres']) {
        const stat = statSync(join(home, entry));
        expect(stat.uid).toBe(uid);
      }
      expect(statSync(join(home, 'app-key')).mode & 0o777).toBe(0o600);
      const pid = postmasterPid(home);
      expect(pid !== null && isAlive(pid)).toBe(true);
      expect(statSync(`/proc/${pid}`).uid).toBe(uid);
      expect(await asUser.stop()).toBe(0);
      expect(pid !== null && isAlive(pid)).toBe(false);
    } finally {
      rmSync(parent, { recursive: true, force: true });
    }
  });

  it('refuses a data folder the unprivileged PostgreSQL user cannot reach, naming it and the fix', async () => {
    if (process.getuid?.() !== 0) {
      // Not root: PostgreSQL runs as this user, who owns the folder; the check does not apply.
      expect(process.getuid?.()).not.toBe(0);
      return;
    }
    const closed = mkdtempSync(join(tmpdir(), 'rollout-closed-'));
    try {
      const unreachable = join(closed, 'inner', 'data');
      const refused = startEmbeddedService({ dataDir: unreachable, port: await freePort() });
      expect(await refused.exited).toBe(1);
      expect(refused.output()).toContain(`cannot reach the data folder ${unreachable}`);
      expect(refused.output()).toContain('ROLLOUT_DATA_DIR=/var/lib/rollout');
      expect(existsSync(join(unreachable, 'postgres'))).toBe(false);
    } finally {
      rmSync(closed, { recursive: true, force: true });
    }
  });
});
