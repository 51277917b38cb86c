import { NotFoundError } from '../../../src/common/errors';
import type {
  BatchView,
  HealthCheckResult,
  InstanceState,
  LoadBalancerConfig,
} from '../../../src/rollout/domain';
import type { PlannedBatch, RolloutEventRecord, RolloutStore } from '../../../src/rollout/ports';

/** A server as the scenario declares it; each store gives it an id of its own. */
export interface ServerSeed {
  name: string;
  host: string;
  port: number;
  user: string;
  hostKeyFingerprint: string | null;
  privateKey: string;
}

/** One application with one deployment, declared once and built by each store in its own way. */
export interface StoreSeed {
  appName: string;
  /** The application's servers, in the application's order. */
  servers: ServerSeed[];
  /** A Traefik host of its own (see `traefikOn`), or none. */
  proxy: ServerSeed | null;
  env: Record<string, string>;
  secretEnv: Record<string, string> | null;
  healthCheckPath: string;
  deployment: {
    status: 'queued' | 'in_progress' | 'cancelled';
    /** The flag `POST /api/deployments/:id/cancel` sets on a running deployment. */
    cancelRequested: boolean;
    /** null: the application's. */
    healthCheckPath: string | null;
    waitInterval: number;
    healthCheckTimeout: number;
  };
}

/** An event as the store kept it; a missing `data` reads as null. */
/** An event as read back: the column holds any text (the API writes statuses there too). */
export type RecordedEvent = Omit<RolloutEventRecord, 'type' | 'data'> & {
  type: string;
  data: Record<string, unknown> | null;
};

export interface SeededStore {
  store: RolloutStore;
  deploymentId: number;
  applicationId: number;
  teamId: number;
  /** The ids given to `seed.servers`, in that order. */
  serverIds: number[];
  proxyId: number | null;
  /** The events kept for the deployment, in the order they were appended. */
  events(): Promise<RecordedEvent[]>;
  /** Cancels the deployment as the API does: a queued one outright, a running one by its flag. */
  cancel(): Promise<void>;
}

export type MakeStore = (seed: StoreSeed) => Promise<SeededStore>;

/** The load balancer of a seed with a proxy. */
export function traefikOn(serverId: number): LoadBalancerConfig {
  return { type: 'traefik', serverId, configPath: '/data/shop.yaml', domain: 'shop.test', drainSeconds: 0.5 };
}

export const GONE = 987654;
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
/** Longer than two polls of any store that polls (the Postgres store reads every 250 ms). */
const QUIET_MS = 750;

function key(label: string): string {
  return `-----BEGIN OPENSSH PRIVATE KEY-----\n${label}\n-----END OPENSSH PRIVATE KEY-----\n`;
}

function server(name: string, host: string, overrides: Partial<ServerSeed> = {}): ServerSeed {
  return {
    name,
    host,
    port: 22,
    user: 'deploy',
    hostKeyFingerprint: null,
    privateKey: key(name),
    ...overrides,
  };
}

/** Three servers given in the order c, a, b, and a Traefik host, unless told otherwise. */
function seed(
  overrides: Partial<Omit<StoreSeed, 'deployment'>> & { deployment?: Partial<StoreSeed['deployment']> } = {},
): StoreSeed {
  const { deployment, ...rest } = overrides;
  return {
    appName: 'shop',
    servers: [
      server('c', '10.0.0.3'),
      server('a', '10.0.0.1'),
      server('b', '10.0.0.2', { port: 2222, hostKeyFingerprint: 'SHA256:bbb' }),
    ],
    proxy: server('proxy', '10.0.0.9'),
    env: { NODE_ENV: 'production' },
    secretEnv: null,
    healthCheckPath: '/ready',
    ...rest,
    deployment: {
      status: 'queued',
      cancelRequested: false,
      healthCheckPath: null,
      waitInterval: 0.25,
      healthCheckTimeout: 1.5,
      ...deployment,
    },
  };
}

function nth<T>(list: readonly T[], index: number): T {
  const item = list[index];
  if (item === undefined) throw new Error(`no item ${index} in a list of ${list.length}`);
  return item;
}

function absent(serverId: number, hostPort = 8080): InstanceState {
  return {
    serverId,
    image: null,
    tag: null,
    status: 'absent',
    inRotation: false,
    hostPort,
    previousImage: null,
    previousTag: null,
  };
}

function aborted(signal: AbortSignal, withinMs: number): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    if (signal.aborted) return resolve(true);
    const timer = setTimeout(() => resolve(false), withinMs);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

async function failureOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => new Error('expected a failure'),
    (error: unknown) => error,
  );
}

/**
 * What every RolloutStore must do, whatever keeps the data: run against the Postgres store (production) and
 * the in-memory one the engine's unit tests use, so those tests speak for production.
 */
export function describeRolloutStoreContract(name: string, makeStore: MakeStore): void {
  describe(`${name}: RolloutStore contract`, () => {
    describe('loadContext', () => {
      it('assembles the deployment, the application, its servers in order, the load balancer host, instances and batches by number', async () => {
        const s = await makeStore(seed());
        const [c, a, b] = s.serverIds;
        if (c === undefined || a === undefined || b === undefined || s.proxyId === null)
          throw new Error('seed');
        await s.store.saveInstance(s.applicationId, {
          serverId: a,
          image: 'ghcr.io/acme/shop',
          tag: 'v1',
          status: 'running',
          inRotation: true,
          hostPort: 8081,
          previousImage: 'ghcr.io/acme/shop',
          previousTag: 'v0',
        });
        await s.store.ensureBatches(s.deploymentId, [
          { batchNumber: 2, serverIds: [b], targetInstanceCount: 1 },
          { batchNumber: 1, serverIds: [c, a], targetInstanceCount: 2 },
        ]);

        const context = await s.store.loadContext(s.deploymentId);

        expect(context.deployment).toMatchObject({
          id: s.deploymentId,
          status: 'queued',
          image: 'ghcr.io/acme/shop',
          tag: 'v2',
          healthCheckPath: '/ready',
          waitInterval: 0.25,
          healthCheckTimeout: 1.5,
        });
        expect(context.cancelRequested).toBe(false);
        expect(context.application).toEqual({
          id: s.applicationId,
          name: 'shop',
          image: 'ghcr.io/acme/shop',
          tag: 'v1',
          containerPort: 3000,
          hostPort: 8080,
          alternateHostPort: 8081,
          env: { NODE_ENV: 'production' },
          healthCheckPath: '/ready',
          serverIds: [c, a, b],
          loadBalancer: traefikOn(s.proxyId),
          stopTimeout: 10,
          minFreeMemoryMb: 256,
          minFreeDiskMb: 1024,
          dockerDataPath: '/var/lib/docker',
        });
        expect(context.servers).toEqual([
          {
            id: c,
            name: 'c',
            host: '10.0.0.3',
            port: 22,
            user: 'deploy',
            privateKey: key('c'),
            hostKeyFingerprint: null,
          },
          expect.objectContaining({ id: a, privateKey: key('a') }),
          expect.objectContaining({ id: b, port: 2222, hostKeyFingerprint: 'SHA256:bbb' }),
        ]);
        expect(context.loadBalancerServer).toEqual(
          expect.objectContaining({ id: s.proxyId, host: '10.0.0.9', privateKey: key('proxy') }),
        );
        expect(context.instances).toEqual([
          absent(c),
          {
            serverId: a,
            image: 'ghcr.io/acme/shop',
            tag: 'v1',
            status: 'running',
            inRotation: true,
            hostPort: 8081,
            previousImage: 'ghcr.io/acme/shop',
            previousTag: 'v0',
          },
          absent(b),
        ]);
        expect(context.batches.map((batch) => [batch.batchNumber, batch.serverIds])).toEqual([
          [1, [c, a]],
          [2, [b]],
        ]);
      });

      it('carries the secret env when the application has one, and no secretEnv key when it has none', async () => {
        const secretEnv = { DB_PASSWORD: 'hunter2-db-password', API_TOKEN: 'tok_live_0123456789' };
        const withSecrets = await makeStore(seed({ secretEnv }));
        expect((await withSecrets.store.loadContext(withSecrets.deploymentId)).application.secretEnv).toEqual(
          secretEnv,
        );
        const without = await makeStore(seed());
        expect(
          Object.keys((await without.store.loadContext(without.deploymentId)).application),
        ).not.toContain('secretEnv');
      });

      it("prefers the deployment's health check path over the application's", async () => {
        const s = await makeStore(seed({ deployment: { healthCheckPath: '/deep-health' } }));
        const context = await s.store.loadContext(s.deploymentId);
        expect(context.deployment.healthCheckPath).toBe('/deep-health');
        expect(context.application.healthCheckPath).toBe('/ready');
      });

      it.each([
        ['a running deployment', { status: 'in_progress' as const, cancelRequested: false }, false],
        [
          'a running deployment with a cancel requested',
          { status: 'in_progress' as const, cancelRequested: true },
          true,
        ],
        [
          'a deployment cancelled while queued',
          { status: 'cancelled' as const, cancelRequested: false },
          true,
        ],
      ])('reports cancelRequested for %s', async (_what, deployment, expected) => {
        const s = await makeStore(seed({ deployment }));
        expect((await s.store.loadContext(s.deploymentId)).cancelRequested).toBe(expected);
      });

      it('has no load balancer server for type none', async () => {
        const s = await makeStore(seed({ proxy: null, servers: [server('solo', '10.0.0.5')] }));
        const context = await s.store.loadContext(s.deploymentId);
        expect(context.application.loadBalancer).toEqual({ type: 'none' });
        expect(context.loadBalancerServer).toBeNull();
        expect(context.servers.map((target) => target.id)).toEqual(s.serverIds);
        expect(context.instances).toEqual([absent(nth(s.serverIds, 0))]);
      });

      it('throws a NotFoundError for a deployment that is gone', async () => {
        const s = await makeStore(seed());
        const error = await failureOf(s.store.loadContext(GONE));
        expect(error).toBeInstanceOf(NotFoundError);
        expect(error).toMatchObject({ message: `deployment ${GONE} does not exist` });
      });

      it('hands out a copy: changing a loaded context changes nothing stored', async () => {
        const s = await makeStore(seed());
        await s.store.ensureBatches(s.deploymentId, [
          { batchNumber: 1, serverIds: s.serverIds, targetInstanceCount: 1 },
        ]);
        const before = await s.store.loadContext(s.deploymentId);
        const changed = await s.store.loadContext(s.deploymentId);
        changed.deployment.status = 'failed';
        changed.application.env.EXTRA = 'x';
        changed.application.serverIds.push(999);
        nth(changed.servers, 0).host = 'elsewhere';
        nth(changed.instances, 0).inRotation = true;
        nth(changed.batches, 0).serverIds.push(999);
        expect(await s.store.loadContext(s.deploymentId)).toEqual(before);
      });
    });

    describe('updateDeployment', () => {
      it('writes only the given fields and returns the contract view', async () => {
        const s = await makeStore(seed());
        const view = await s.store.updateDeployment(s.deploymentId, {
          status: 'in_progress',
          startedAt: new Date('2025-01-02T03:04:05.678Z'),
          totalBatches: 2,
          previousImage: 'ghcr.io/acme/shop',
          previousTag: 'v1',
        });
        expect(Object.keys(view)).toEqual([
          'id',
          'applicationId',
          'strategy',
          'status',
          'image',
          'tag',
          'previousImage',
          'previousTag',
          'batchSize',
          'batchSizeIsPercentage',
          'waitInterval',
          'healthCheckPath',
          'healthCheckTimeout',
          'healthCheckInterval',
          'maxHealthCheckRetries',
          'minimumHealthyInstances',
          'autoRollbackOnFailure',
          'failureThreshold',
          'pauseAfterEachBatch',
          'successThreshold',
          'startPeriod',
          'minReadySeconds',
          'progressDeadline',
          'order',
          'totalBatches',
          'completedBatches',
          'failedBatches',
          'failureReason',
          'resumeCount',
          'lastResumedAt',
          'createdAt',
          'startedAt',
          'completedAt',
        ]);
        expect(view).toMatchObject({
          id: s.deploymentId,
          status: 'in_progress',
          strategy: 'rolling',
          startedAt: '2025-01-02T03:04:05.678Z',
          completedAt: null,
          totalBatches: 2,
          previousImage: 'ghcr.io/acme/shop',
          previousTag: 'v1',
          batchSize: 25,
          batchSizeIsPercentage: true,
          failureReason: null,
        });
        expect(view.createdAt).toMatch(ISO);

        // An undefined field is "not given": it keeps its value rather than being cleared.
        const later = await s.store.updateDeployment(s.deploymentId, {
          completedBatches: 1,
          failureReason: undefined,
          status: undefined,
        });
        expect(later).toEqual({ ...view, completedBatches: 1 });
        // The context carries the engine's part of the same row.
        expect(later).toMatchObject((await s.store.loadContext(s.deploymentId)).deployment);
        expect(await s.store.updateDeployment(s.deploymentId, {})).toEqual(later);
      });

      it('walks a rollout through its statuses and counters; a resumed worker reads every one back', async () => {
        const s = await makeStore(seed());
        const [c, a, b] = s.serverIds;
        if (c === undefined || a === undefined || b === undefined) throw new Error('seed');
        await s.store.updateDeployment(s.deploymentId, {
          status: 'in_progress',
          totalBatches: 3,
          startedAt: new Date('2025-03-01T10:00:00.000Z'),
        });
        const batches = await s.store.ensureBatches(s.deploymentId, [
          { batchNumber: 1, serverIds: [c], targetInstanceCount: 1 },
          { batchNumber: 2, serverIds: [a], targetInstanceCount: 1 },
          { batchNumber: 3, serverIds: [b], targetInstanceCount: 1 },
        ]);
        await s.store.updateBatch(nth(batches, 0).id, { status: 'completed', successfulInstances: 1 });
        await s.store.updateBatch(nth(batches, 1).id, { status: 'rolled_back', failedInstances: 1 });
        await s.store.updateDeployment(s.deploymentId, {
          completedBatches: 1,
          failedBatches: 1,
          failureReason: 'batch 2 rolled back',
        });

        // The worker dies here; the next one starts from what is stored.
        const resumed = await s.store.loadContext(s.deploymentId);
        expect(resumed.deployment).toMatchObject({
          status: 'in_progress',
          totalBatches: 3,
          completedBatches: 1,
          failedBatches: 1,
          startedAt: '2025-03-01T10:00:00.000Z',
        });
        expect(await s.store.updateDeployment(s.deploymentId, {})).toMatchObject({
          failureReason: 'batch 2 rolled back',
          completedAt: null,
        });
        expect(resumed.batches.map((batch) => [batch.id, batch.status])).toEqual([
          [nth(batches, 0).id, 'completed'],
          [nth(batches, 1).id, 'rolled_back'],
          [nth(batches, 2).id, 'pending'],
        ]);
        // Its own ensureBatches gets the batches of the first run.
        const again = await s.store.ensureBatches(s.deploymentId, [
          { batchNumber: 1, serverIds: [b], targetInstanceCount: 1 },
        ]);
        expect(again.map((batch) => [batch.id, batch.status, batch.serverIds])).toEqual([
          [nth(batches, 0).id, 'completed', [c]],
          [nth(batches, 1).id, 'rolled_back', [a]],
          [nth(batches, 2).id, 'pending', [b]],
        ]);
        again.forEach((batch, index) => expect(batch).toMatchObject(nth(resumed.batches, index)));

        const done = await s.store.updateDeployment(s.deploymentId, {
          status: 'completed_with_errors',
          completedBatches: 2,
          failureReason: null,
          completedAt: new Date('2025-03-01T10:05:00.000Z'),
        });
        expect(done).toMatchObject({
          status: 'completed_with_errors',
          completedBatches: 2,
          failedBatches: 1,
          failureReason: null,
          completedAt: '2025-03-01T10:05:00.000Z',
        });
        const cleared = await s.store.updateDeployment(s.deploymentId, { completedAt: null });
        expect(cleared.completedAt).toBeNull();
      });

      it('throws a NotFoundError for a deployment that is gone, and changes nothing', async () => {
        const s = await makeStore(seed());
        const before = await s.store.loadContext(s.deploymentId);
        const error = await failureOf(s.store.updateDeployment(GONE, { status: 'failed' }));
        expect(error).toBeInstanceOf(NotFoundError);
        expect(error).toMatchObject({ message: `deployment ${GONE} does not exist` });
        expect(await s.store.loadContext(s.deploymentId)).toEqual(before);
      });
    });

    describe('claimRun and releaseRun', () => {
      it('answers the owner whose run never ended, counts the resume, and starts afresh once released', async () => {
        const s = await makeStore(seed());
        expect(await s.store.claimRun(s.deploymentId, 'host-a#1')).toBeNull();
        let view = await s.store.updateDeployment(s.deploymentId, {});
        expect(view).toMatchObject({ resumeCount: 0, lastResumedAt: null });

        expect(await s.store.isRunOwner(s.deploymentId, 'host-a#1')).toBe(true);
        expect(await s.store.claimRun(s.deploymentId, 'host-b#2')).toEqual({ previousOwner: 'host-a#1' });
        // host-a is fenced off: it no longer runs the rollout.
        expect(await s.store.isRunOwner(s.deploymentId, 'host-a#1')).toBe(false);
        expect(await s.store.isRunOwner(s.deploymentId, 'host-b#2')).toBe(true);
        view = await s.store.updateDeployment(s.deploymentId, {});
        expect(view.resumeCount).toBe(1);
        expect(view.lastResumedAt).toMatch(ISO);

        // Only the current owner's release counts.
        await s.store.releaseRun(s.deploymentId, 'host-a#1');
        expect(await s.store.claimRun(s.deploymentId, 'host-c#3')).toEqual({ previousOwner: 'host-b#2' });
        await s.store.releaseRun(s.deploymentId, 'host-c#3');
        expect(await s.store.claimRun(s.deploymentId, 'host-d#4')).toBeNull();
        expect((await s.store.updateDeployment(s.deploymentId, {})).resumeCount).toBe(2);
      });

      it('changes nothing on a deployment that is over', async () => {
        const s = await makeStore(seed());
        await s.store.claimRun(s.deploymentId, 'host-a#1');
        await s.store.updateDeployment(s.deploymentId, { status: 'completed' });
        expect(await s.store.claimRun(s.deploymentId, 'host-b#2')).toBeNull();
        expect((await s.store.updateDeployment(s.deploymentId, {})).resumeCount).toBe(0);
      });
    });

    describe('ensureBatches', () => {
      it('creates the batches once, ordered by number; a second call returns them unchanged', async () => {
        const s = await makeStore(seed());
        const [c, a, b] = s.serverIds;
        if (c === undefined || a === undefined || b === undefined) throw new Error('seed');
        const first = await s.store.ensureBatches(s.deploymentId, [
          { batchNumber: 2, serverIds: [b], targetInstanceCount: 1 },
          { batchNumber: 1, serverIds: [c, a], targetInstanceCount: 2 },
        ]);
        expect(first).toEqual([
          {
            id: expect.any(Number) as number,
            batchNumber: 1,
            totalBatches: 2,
            serverIds: [c, a],
            targetInstanceCount: 2,
            status: 'pending',
            startedAt: null,
            completedAt: null,
            successfulInstances: 0,
            failedInstances: 0,
            healthCheckResults: {},
            failureReason: null,
            serverOutcomes: { [String(c)]: 'untouched', [String(a)]: 'untouched' },
            createdAt: expect.any(String) as string,
            updatedAt: expect.any(String) as string,
          },
          expect.objectContaining({
            batchNumber: 2,
            totalBatches: 2,
            serverIds: [b],
            targetInstanceCount: 1,
          }),
        ]);
        expect(new Set(first.map((batch) => batch.id)).size).toBe(2);
        await s.store.updateBatch(nth(first, 0).id, { status: 'completed' });

        const again = await s.store.ensureBatches(s.deploymentId, [
          { batchNumber: 1, serverIds: [b], targetInstanceCount: 9 },
          { batchNumber: 2, serverIds: [c], targetInstanceCount: 9 },
        ]);
        expect(again.map((batch) => batch.id)).toEqual(first.map((batch) => batch.id));
        expect(again[0]).toMatchObject({ serverIds: [c, a], targetInstanceCount: 2, status: 'completed' });
        expect(again[1]).toEqual(first[1]);
      });

      it('adds only the batch numbers not there yet, leaving the existing ones as they are', async () => {
        const s = await makeStore(seed());
        const [c, a, b] = s.serverIds;
        if (c === undefined || a === undefined || b === undefined) throw new Error('seed');
        const [one] = await s.store.ensureBatches(s.deploymentId, [
          { batchNumber: 1, serverIds: [c], targetInstanceCount: 1 },
        ]);
        const both = await s.store.ensureBatches(s.deploymentId, [
          { batchNumber: 1, serverIds: [a], targetInstanceCount: 1 },
          { batchNumber: 2, serverIds: [b], targetInstanceCount: 1 },
        ]);
        expect(both).toEqual([
          one,
          expect.objectContaining({ batchNumber: 2, totalBatches: 2, serverIds: [b] }),
        ]);
        expect(nth(both, 1).id).not.toBe(one?.id);
      });

      it('survives two workers creating the same batches at once', async () => {
        const s = await makeStore(seed());
        const planned = [{ batchNumber: 1, serverIds: [nth(s.serverIds, 0)], targetInstanceCount: 1 }];
        const [one, two] = await Promise.all([
          s.store.ensureBatches(s.deploymentId, planned),
          s.store.ensureBatches(s.deploymentId, planned),
        ]);
        expect(one).toHaveLength(1);
        expect(two).toEqual(one);
      });

      it('keeps its own copy of the plan, and hands out copies', async () => {
        const s = await makeStore(seed());
        const planned: PlannedBatch[] = [
          { batchNumber: 1, serverIds: [nth(s.serverIds, 0)], targetInstanceCount: 1 },
        ];
        const [created] = await s.store.ensureBatches(s.deploymentId, planned);
        nth(planned, 0).serverIds.push(999);
        created?.serverIds.push(998);
        expect((await s.store.loadContext(s.deploymentId)).batches.map((batch) => batch.serverIds)).toEqual([
          [nth(s.serverIds, 0)],
        ]);
      });

      it('creates nothing for an empty plan and returns what exists', async () => {
        const s = await makeStore(seed());
        expect(await s.store.ensureBatches(s.deploymentId, [])).toEqual([]);
        const created = await s.store.ensureBatches(s.deploymentId, [
          { batchNumber: 1, serverIds: s.serverIds, targetInstanceCount: 1 },
        ]);
        expect(await s.store.ensureBatches(s.deploymentId, [])).toEqual(created);
      });

      it('refuses batches for a deployment that is gone', async () => {
        const s = await makeStore(seed());
        await expect(
          s.store.ensureBatches(GONE, [{ batchNumber: 1, serverIds: s.serverIds, targetInstanceCount: 1 }]),
        ).rejects.toThrow();
        expect((await s.store.loadContext(s.deploymentId)).batches).toEqual([]);
      });
    });

    describe('updateBatch', () => {
      async function oneBatch(): Promise<{ s: SeededStore; batch: BatchView }> {
        const s = await makeStore(seed());
        const [batch] = await s.store.ensureBatches(s.deploymentId, [
          { batchNumber: 1, serverIds: [nth(s.serverIds, 1)], targetInstanceCount: 1 },
        ]);
        if (!batch) throw new Error('no batch');
        return { s, batch };
      }

      it('stores status, times, counts, health check results and the reason, and returns the batch view', async () => {
        const { s, batch } = await oneBatch();
        const serverId = String(nth(s.serverIds, 1));
        const result: HealthCheckResult = {
          healthy: false,
          statusCode: 503,
          attempts: 3,
          elapsedMs: 840.5,
          message: 'HTTP 503',
        };
        const started = await s.store.updateBatch(batch.id, {
          status: 'in_progress',
          startedAt: new Date('2025-05-06T07:08:00.000Z'),
        });
        expect(started).toEqual({
          ...batch,
          status: 'in_progress',
          startedAt: '2025-05-06T07:08:00.000Z',
          updatedAt: expect.any(String) as string,
        });

        const view = await s.store.updateBatch(batch.id, {
          status: 'rolled_back',
          completedAt: new Date('2025-05-06T07:08:09.010Z'),
          failedInstances: 1,
          healthCheckResults: { [serverId]: result },
          failureReason: 'server a: health check failed: HTTP 503',
        });
        expect(view).toEqual({
          ...started,
          updatedAt: expect.any(String) as string,
          status: 'rolled_back',
          completedAt: '2025-05-06T07:08:09.010Z',
          failedInstances: 1,
          healthCheckResults: { [serverId]: result },
          failureReason: 'server a: health check failed: HTTP 503',
        });
        const [loaded, ...more] = (await s.store.loadContext(s.deploymentId)).batches;
        expect(more).toEqual([]);
        expect(loaded).toMatchObject({
          id: batch.id,
          status: 'rolled_back',
          startedAt: '2025-05-06T07:08:00.000Z',
          failureReason: 'server a: health check failed: HTTP 503',
        });
        expect(view).toMatchObject(loaded ?? {});
        expect(await s.store.updateBatch(batch.id, {})).toEqual(view);
      });

      it('merges server outcomes with the ones recorded before', async () => {
        const s = await makeStore(seed());
        const [a, b] = [nth(s.serverIds, 1), nth(s.serverIds, 2)];
        const [batch] = await s.store.ensureBatches(s.deploymentId, [
          { batchNumber: 1, serverIds: [a, b], targetInstanceCount: 1 },
        ]);
        if (!batch) throw new Error('no batch');
        expect(batch.serverOutcomes).toEqual({ [String(a)]: 'untouched', [String(b)]: 'untouched' });
        await s.store.updateBatch(batch.id, { serverOutcomes: { [String(a)]: 'updated' } });
        const view = await s.store.updateBatch(batch.id, {
          serverOutcomes: { [String(b)]: 'restore_failed' },
        });
        expect(view.serverOutcomes).toEqual({ [String(a)]: 'updated', [String(b)]: 'restore_failed' });
        const [loaded] = (await s.store.loadContext(s.deploymentId)).batches;
        expect(loaded?.serverOutcomes).toEqual(view.serverOutcomes);
      });

      it('ignores undefined fields and clears with null', async () => {
        const { s, batch } = await oneBatch();
        const failed = await s.store.updateBatch(batch.id, {
          status: 'failed',
          failureReason: 'pull failed',
          completedAt: new Date('2025-05-06T07:08:09.010Z'),
        });
        const same = await s.store.updateBatch(batch.id, { status: undefined, failureReason: undefined });
        expect(same).toEqual(failed);
        const retried = await s.store.updateBatch(batch.id, {
          status: 'in_progress',
          failureReason: null,
          completedAt: null,
        });
        expect(retried).toEqual({
          ...failed,
          status: 'in_progress',
          failureReason: null,
          completedAt: null,
          updatedAt: expect.any(String) as string,
        });
        expect(await s.store.updateBatch(batch.id, {})).toEqual(retried);
      });

      it('keeps its own copy of the health check results', async () => {
        const { s, batch } = await oneBatch();
        const results: Record<string, HealthCheckResult> = {
          '1': { healthy: true, statusCode: 200, attempts: 1, elapsedMs: 12, message: 'HTTP 200' },
        };
        const view = await s.store.updateBatch(batch.id, { healthCheckResults: results });
        const given = results['1'];
        if (given) given.healthy = false;
        results['2'] = { healthy: false, statusCode: null, attempts: 0, elapsedMs: 0, message: 'added' };
        view.healthCheckResults['3'] = {
          healthy: false,
          statusCode: null,
          attempts: 0,
          elapsedMs: 0,
          message: 'x',
        };
        expect((await s.store.updateBatch(batch.id, {})).healthCheckResults).toEqual({
          '1': { healthy: true, statusCode: 200, attempts: 1, elapsedMs: 12, message: 'HTTP 200' },
        });
      });

      it('throws a NotFoundError for a batch that is gone', async () => {
        const { s } = await oneBatch();
        const error = await failureOf(s.store.updateBatch(GONE, { status: 'failed' }));
        expect(error).toBeInstanceOf(NotFoundError);
        expect(error).toMatchObject({ message: `deployment batch ${GONE} does not exist` });
      });
    });

    describe('saveInstance', () => {
      it('inserts, then overwrites the same server; the others stay as they were', async () => {
        const s = await makeStore(seed());
        const [c, a, b] = s.serverIds;
        if (c === undefined || a === undefined || b === undefined) throw new Error('seed');
        const instance: InstanceState = {
          serverId: b,
          image: 'ghcr.io/acme/shop',
          tag: 'v1',
          status: 'running',
          inRotation: true,
          hostPort: 8080,
          previousImage: null,
          previousTag: null,
        };
        await s.store.saveInstance(s.applicationId, instance);
        await s.store.saveInstance(s.applicationId, { ...absent(a, 9090), status: 'unknown' });
        const swapped: InstanceState = {
          ...instance,
          tag: 'v2',
          inRotation: false,
          hostPort: 8082,
          previousImage: 'ghcr.io/acme/shop',
          previousTag: 'v1',
        };
        await s.store.saveInstance(s.applicationId, swapped);

        expect((await s.store.loadContext(s.deploymentId)).instances).toEqual([
          absent(c),
          { ...absent(a, 9090), status: 'unknown' },
          swapped,
        ]);

        const rolledBack: InstanceState = {
          ...swapped,
          tag: 'v1',
          inRotation: true,
          previousImage: null,
          previousTag: null,
        };
        await s.store.saveInstance(s.applicationId, rolledBack);
        expect(nth((await s.store.loadContext(s.deploymentId)).instances, 2)).toEqual(rolledBack);
      });

      it('keeps its own copy of the instance', async () => {
        const s = await makeStore(seed());
        const instance: InstanceState = {
          ...absent(nth(s.serverIds, 0)),
          status: 'stopped',
          image: 'x',
          tag: 't',
        };
        await s.store.saveInstance(s.applicationId, instance);
        instance.inRotation = true;
        instance.tag = 'changed';
        expect(nth((await s.store.loadContext(s.deploymentId)).instances, 0)).toEqual({
          ...absent(nth(s.serverIds, 0)),
          status: 'stopped',
          image: 'x',
          tag: 't',
        });
      });

      it('refuses an application that is gone', async () => {
        const s = await makeStore(seed());
        await expect(s.store.saveInstance(GONE, absent(nth(s.serverIds, 0)))).rejects.toThrow();
      });
    });

    describe('pause requests', () => {
      it('reads a pause request back in the context until it is cleared', async () => {
        const s = await makeStore(seed());
        expect((await s.store.loadContext(s.deploymentId)).pauseRequested).toBe(false);
        await s.store.updateDeployment(s.deploymentId, { pauseRequestedAt: new Date() });
        expect((await s.store.loadContext(s.deploymentId)).pauseRequested).toBe(true);
        const view = await s.store.updateDeployment(s.deploymentId, { pauseRequestedAt: null });
        expect((await s.store.loadContext(s.deploymentId)).pauseRequested).toBe(false);
        expect(view).not.toHaveProperty('pauseRequestedAt');
      });
    });

    describe('appendEvent', () => {
      it('answers each event its id, increasing in the order the events were recorded', async () => {
        const s = await makeStore(seed());
        const event = { deploymentId: s.deploymentId, batchNumber: null, serverId: null, message: 'm' };
        const first = await s.store.appendEvent({ ...event, type: 'started' });
        const second = await s.store.appendEvent({ ...event, type: 'waiting' });
        expect(Number.isSafeInteger(first) && first > 0).toBe(true);
        expect(second).toBeGreaterThan(first);
      });

      it('keeps the events in the order they happened, with their fields', async () => {
        const s = await makeStore(seed());
        const a = nth(s.serverIds, 1);
        const base = { deploymentId: s.deploymentId };
        await s.store.appendEvent({
          ...base,
          batchNumber: null,
          serverId: null,
          type: 'started',
          message: 'go',
        });
        await s.store.appendEvent({
          ...base,
          batchNumber: 1,
          serverId: a,
          type: 'pulling',
          message: 'pulling v2',
          data: { image: 'ghcr.io/acme/shop:v2', attempt: 1, nested: { ok: true, list: ['x'] } },
        });
        await s.store.appendEvent({ ...base, batchNumber: 1, serverId: a, type: 'healthy', message: 'ok' });
        await s.store.appendEvent({
          ...base,
          batchNumber: null,
          serverId: null,
          type: 'finished',
          message: 'Deployment completed',
          data: { status: 'completed' },
        });
        expect(await s.events()).toEqual([
          { ...base, batchNumber: null, serverId: null, type: 'started', message: 'go', data: null },
          {
            ...base,
            batchNumber: 1,
            serverId: a,
            type: 'pulling',
            message: 'pulling v2',
            data: { image: 'ghcr.io/acme/shop:v2', attempt: 1, nested: { ok: true, list: ['x'] } },
          },
          { ...base, batchNumber: 1, serverId: a, type: 'healthy', message: 'ok', data: null },
          {
            ...base,
            batchNumber: null,
            serverId: null,
            type: 'finished',
            message: 'Deployment completed',
            data: { status: 'completed' },
          },
        ]);
      });

      it('keeps its own copy of the data', async () => {
        const s = await makeStore(seed());
        const data: Record<string, unknown> = { output: ['line 1'] };
        await s.store.appendEvent({
          deploymentId: s.deploymentId,
          batchNumber: null,
          serverId: null,
          type: 'waiting',
          message: 'm',
          data,
        });
        data.output = ['changed'];
        data.extra = true;
        expect((await s.events()).map((event) => event.data)).toEqual([{ output: ['line 1'] }]);
      });

      it('refuses an event of a deployment that is gone', async () => {
        const s = await makeStore(seed());
        await expect(
          s.store.appendEvent({
            deploymentId: GONE,
            batchNumber: null,
            serverId: null,
            type: 'started',
            message: 'go',
          }),
        ).rejects.toThrow();
        expect(await s.events()).toEqual([]);
      });
    });

    describe('watchCancel', () => {
      it.each(['in_progress', 'queued'] as const)(
        'aborts the watch within a second of the API cancelling a %s deployment',
        async (status) => {
          const s = await makeStore(seed({ deployment: { status } }));
          const watch = s.store.watchCancel(s.deploymentId);
          try {
            expect(await aborted(watch.signal, QUIET_MS)).toBe(false);
            const cancelledAt = Date.now();
            await s.cancel();
            expect(await aborted(watch.signal, 1000)).toBe(true);
            expect(Date.now() - cancelledAt).toBeLessThan(1000);
            expect((await s.store.loadContext(s.deploymentId)).cancelRequested).toBe(true);
          } finally {
            watch.close();
          }
        },
      );

      it('a watch opened after the cancel aborts too', async () => {
        const s = await makeStore(seed({ deployment: { status: 'in_progress' } }));
        await s.cancel();
        const watch = s.store.watchCancel(s.deploymentId);
        try {
          expect(await aborted(watch.signal, 1000)).toBe(true);
        } finally {
          watch.close();
        }
      });

      it('a closed watch no longer aborts', async () => {
        const s = await makeStore(seed({ deployment: { status: 'in_progress' } }));
        const watch = s.store.watchCancel(s.deploymentId);
        watch.close();
        await s.cancel();
        expect(await aborted(watch.signal, QUIET_MS)).toBe(false);
      });

      it('a watch of a deployment that is gone never aborts, and closes', async () => {
        const s = await makeStore(seed({ deployment: { status: 'in_progress' } }));
        const watch = s.store.watchCancel(GONE);
        try {
          await s.cancel();
          expect(await aborted(watch.signal, QUIET_MS)).toBe(false);
        } finally {
          watch.close();
        }
      });
    });

    describe('teamOf', () => {
      it("reads the team of the deployment's application, null for a deployment that is gone", async () => {
        const s = await makeStore(seed());
        expect(await s.store.teamOf(s.deploymentId)).toBe(s.teamId);
        expect(await s.store.teamOf(GONE)).toBeNull();
      });
    });
  });
}
