import { ApplicationInstanceEntity } from '../../../src/applications/application-instance.entity';
import type { AppConfig } from '../../../src/config/app-config';
import { DeploymentBatchEntity } from '../../../src/deployments/deployment-batch.entity';
import { DeploymentEntity } from '../../../src/deployments/deployment.entity';
import { DeploymentsRepository } from '../../../src/deployments/deployments.repository';
import { CANCEL_POLL_INTERVAL_MS } from '../../../src/infra/persistence/polling-cancel-watch';
import { TypeormRolloutStore } from '../../../src/infra/persistence/typeorm-rollout-store';
import type { RolloutStore } from '../../../src/rollout/ports';
import { MemoryRolloutStore } from '../../fakes/memory-rollout-store';
import { serverTarget } from '../../fakes/server-targets';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { Fixtures, TEST_APP_KEY } from '../support/fixtures';

/** One deployment in `status`, in a store, and the way the API records a cancel of it. */
interface Subject {
  store: RolloutStore;
  deploymentId: number;
  teamId: number;
  cancel(): Promise<void>;
}

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
}, 30_000);
afterAll(() => db?.drop());

async function inPostgres(status: 'queued' | 'in_progress'): Promise<Subject> {
  const fixtures = new Fixtures(db.dataSource);
  const team = await fixtures.team();
  const server = await fixtures.server(team.id);
  const app = await fixtures.application(team.id, [server.id]);
  const deployment = await fixtures.deployment(app.id, { status });
  const ds = db.dataSource;
  const repository = new DeploymentsRepository(
    ds,
    ds.getRepository(DeploymentEntity),
    ds.getRepository(DeploymentBatchEntity),
    ds.getRepository(ApplicationInstanceEntity),
  );
  return {
    store: new TypeormRolloutStore(ds, { appKey: TEST_APP_KEY } as AppConfig),
    deploymentId: deployment.id,
    teamId: team.id,
    // the API's own cancel path: a queued deployment is cancelled outright, a running one is flagged
    cancel: async () => {
      const done =
        (await repository.cancelQueued(deployment.id)) || (await repository.requestCancel(deployment.id));
      if (!done) throw new Error('the cancel was refused');
    },
  };
}

async function inMemory(status: 'queued' | 'in_progress'): Promise<Subject> {
  const app = {
    id: 1,
    name: 'shop',
    image: 'ghcr.io/acme/shop',
    tag: 'v1',
    containerPort: 3000,
    hostPort: 8080,
    env: {},
    healthCheckPath: '/health',
    serverIds: [1],
    loadBalancer: { type: 'none' as const },
  };
  const store = new MemoryRolloutStore(app, [serverTarget(1)], null, { status });
  store.teamId = 5;
  return {
    store,
    deploymentId: store.deployment.id,
    teamId: 5,
    cancel: async () => {
      if (status === 'queued') store.deployment = { ...store.deployment, status: 'cancelled' };
      else store.cancelRequested = true;
    },
  };
}

const within = (signal: AbortSignal, ms: number) =>
  new Promise<boolean>((resolve) => {
    if (signal.aborted) return resolve(true);
    const timer = setTimeout(() => resolve(false), ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });

describe.each([
  ['TypeormRolloutStore (Postgres)', inPostgres],
  ['MemoryRolloutStore (the fake)', inMemory],
])('%s: cancel watch and team', (_name, make) => {
  it.each(['in_progress', 'queued'] as const)(
    'aborts the watch within a second of the API cancelling a %s deployment',
    async (status) => {
      const s = await make(status);
      const watch = s.store.watchCancel(s.deploymentId);
      try {
        expect(await within(watch.signal, 2 * CANCEL_POLL_INTERVAL_MS)).toBe(false);
        const cancelledAt = Date.now();
        await s.cancel();
        expect(await within(watch.signal, 1000)).toBe(true);
        expect(Date.now() - cancelledAt).toBeLessThan(1000);
        expect((await s.store.loadContext(s.deploymentId)).cancelRequested).toBe(true);
      } finally {
        watch.close();
      }
    },
  );

  it('a watch opened after the cancel aborts too', async () => {
    const s = await make('in_progress');
    await s.cancel();
    const watch = s.store.watchCancel(s.deploymentId);
    try {
      expect(await within(watch.signal, 1000)).toBe(true);
    } finally {
      watch.close();
    }
  });

  it('a closed watch no longer aborts', async () => {
    const s = await make('in_progress');
    const watch = s.store.watchCancel(s.deploymentId);
    watch.close();
    await s.cancel();
    expect(await within(watch.signal, 3 * CANCEL_POLL_INTERVAL_MS)).toBe(false);
  });

  it('reads the team of the deployment, null for an unknown one', async () => {
    const s = await make('queued');
    expect(await s.store.teamOf(s.deploymentId)).toBe(s.teamId);
    expect(await s.store.teamOf(987654)).toBeNull();
  });
});
