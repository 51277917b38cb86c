import { ApplicationInstanceEntity } from '../../../src/applications/application-instance.entity';
import { ApplicationEntity } from '../../../src/applications/application.entity';
import type { AppConfig } from '../../../src/config/app-config';
import { DeploymentBatchEntity } from '../../../src/deployments/deployment-batch.entity';
import { DeploymentEventEntity } from '../../../src/deployments/deployment-event.entity';
import { DeploymentEntity } from '../../../src/deployments/deployment.entity';
import { DeploymentsRepository } from '../../../src/deployments/deployments.repository';
import { applicationSecretEnvRow, encryptSecret } from '../../../src/common/crypto/secret-box';
import { TypeormRolloutStore } from '../../../src/infra/persistence/typeorm-rollout-store';
import type { ApplicationSpec, ServerTarget } from '../../../src/rollout/domain';
import { MemoryRolloutStore } from '../../fakes/memory-rollout-store';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { Fixtures, TEST_APP_KEY } from '../support/fixtures';
import {
  describeRolloutStoreContract,
  traefikOn,
  type SeededStore,
  type ServerSeed,
  type StoreSeed,
} from './rollout-store-contract';

/** The seed as rows, written the way the API writes them, and the API's own cancel path. */
async function inPostgres(db: TestDatabase, seed: StoreSeed): Promise<SeededStore> {
  const ds = db.dataSource;
  const fixtures = new Fixtures(ds);
  const team = await fixtures.team();
  const serverRow = (server: ServerSeed) => fixtures.server(team.id, server);
  const servers = [];
  for (const server of seed.servers) servers.push(await serverRow(server));
  const proxy = seed.proxy ? await serverRow(seed.proxy) : null;
  const app = await fixtures.application(
    team.id,
    servers.map((server) => server.id),
    {
      name: seed.appName,
      env: seed.env,
      healthCheckPath: seed.healthCheckPath,
      loadBalancer: proxy ? traefikOn(proxy.id) : { type: 'none' },
    },
  );
  if (seed.secretEnv) {
    await ds.getRepository(ApplicationEntity).update(app.id, {
      secretEnvEncrypted: encryptSecret(
        JSON.stringify(seed.secretEnv),
        TEST_APP_KEY,
        applicationSecretEnvRow(app.id),
      ),
      secretEnvKeys: Object.keys(seed.secretEnv).sort(),
    });
  }
  const { status, cancelRequested, healthCheckPath, waitInterval, healthCheckTimeout } = seed.deployment;
  const deployment = await fixtures.deployment(app.id, {
    status,
    healthCheckPath,
    waitInterval,
    healthCheckTimeout,
    cancelRequestedAt: cancelRequested ? new Date() : null,
  });
  const repository = new DeploymentsRepository(
    ds,
    ds.getRepository(DeploymentEntity),
    ds.getRepository(DeploymentBatchEntity),
    ds.getRepository(ApplicationInstanceEntity),
  );
  return {
    store: new TypeormRolloutStore(ds, { appKey: TEST_APP_KEY } as AppConfig),
    deploymentId: deployment.id,
    applicationId: app.id,
    teamId: team.id,
    serverIds: servers.map((server) => server.id),
    proxyId: proxy?.id ?? null,
    events: async () => {
      const rows = await ds
        .getRepository(DeploymentEventEntity)
        .find({ where: { deploymentId: deployment.id }, order: { id: 'ASC' } });
      return rows.map(({ deploymentId, batchNumber, serverId, type, message, data }) => ({
        deploymentId,
        batchNumber,
        serverId,
        type,
        message,
        data,
      }));
    },
    cancel: async () => {
      const done =
        (await repository.cancelIdle(deployment.id)) || (await repository.requestCancel(deployment.id));
      if (!done) throw new Error('the cancel was refused');
    },
  };
}

/** The seed handed to the fake's constructor, with ids of the fake's choosing. */
function inMemory(seed: StoreSeed): Promise<SeededStore> {
  const target = (server: ServerSeed, id: number): ServerTarget => ({ id, ...server });
  const servers = seed.servers.map((server, index) => target(server, 11 + index));
  const proxy = seed.proxy ? target(seed.proxy, 19) : null;
  const application: ApplicationSpec = {
    id: 3,
    name: seed.appName,
    image: 'ghcr.io/acme/shop',
    tag: 'v1',
    containerPort: 3000,
    hostPort: 8080,
    alternateHostPort: 8081,
    env: seed.env,
    ...(seed.secretEnv && { secretEnv: seed.secretEnv }),
    healthCheckPath: seed.healthCheckPath,
    serverIds: servers.map((server) => server.id),
    loadBalancer: proxy ? traefikOn(proxy.id) : { type: 'none' },
    stopTimeout: 10,
    minFreeMemoryMb: 256,
    minFreeDiskMb: 1024,
    dockerDataPath: '/var/lib/docker',
  };
  const { status, cancelRequested, healthCheckPath, waitInterval, healthCheckTimeout } = seed.deployment;
  const store = new MemoryRolloutStore(application, servers, proxy, {
    status,
    healthCheckPath: healthCheckPath ?? seed.healthCheckPath,
    waitInterval,
    healthCheckTimeout,
  });
  store.cancelRequested = cancelRequested;
  store.teamId = 5;
  const deploymentId = store.deployment.id;
  return Promise.resolve({
    store,
    deploymentId,
    applicationId: application.id,
    teamId: 5,
    serverIds: application.serverIds,
    proxyId: proxy?.id ?? null,
    events: () =>
      Promise.resolve(
        store.events
          .filter((event) => event.deploymentId === deploymentId)
          .map((event) => ({ ...event, data: event.data ?? null })),
      ),
    cancel: () => {
      if (store.deployment.status === 'queued')
        store.deployment = { ...store.deployment, status: 'cancelled' };
      else store.cancelRequested = true;
      return Promise.resolve();
    },
  });
}

describe('the Postgres store', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  }, 30_000);
  afterAll(() => db?.drop());

  describeRolloutStoreContract('TypeormRolloutStore', (seed) => inPostgres(db, seed));
});

describeRolloutStoreContract('MemoryRolloutStore (the fake)', inMemory);
