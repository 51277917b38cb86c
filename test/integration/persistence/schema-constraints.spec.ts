import { ApplicationInstanceEntity } from '../../../src/applications/application-instance.entity';
import { ApplicationServerEntity } from '../../../src/applications/application-server.entity';
import { ApplicationEntity } from '../../../src/applications/application.entity';
import { ApiTokenEntity } from '../../../src/auth/api-token.entity';
import { TeamEntity } from '../../../src/auth/team.entity';
import { DeploymentBatchEntity } from '../../../src/deployments/deployment-batch.entity';
import { DeploymentEventEntity } from '../../../src/deployments/deployment-event.entity';
import { DeploymentEntity } from '../../../src/deployments/deployment.entity';
import { ACTIVE_DEPLOYMENT_STATUSES, DEPLOYMENT_STATUSES, BATCH_STATUSES } from '../../../src/rollout/domain';
import { ServerEntity } from '../../../src/servers/server.entity';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { Fixtures } from '../support/fixtures';

describe('schema constraints', () => {
  let db: TestDatabase;
  let fixtures: Fixtures;

  beforeAll(async () => {
    db = await createTestDatabase();
    fixtures = new Fixtures(db.dataSource);
  }, 30_000);
  afterAll(() => db?.drop());

  async function appWithServer() {
    const team = await fixtures.team();
    const server = await fixtures.server(team.id);
    const app = await fixtures.application(team.id, [server.id]);
    return { team, server, app };
  }

  describe('one active deployment per application', () => {
    it.each(
      ACTIVE_DEPLOYMENT_STATUSES.flatMap((first) =>
        ACTIVE_DEPLOYMENT_STATUSES.map((second) => [first, second]),
      ),
    )('rejects a %s deployment beside a %s one', async (first, second) => {
      const { app } = await appWithServer();
      await fixtures.deployment(app.id, { status: first });
      await expect(fixtures.deployment(app.id, { status: second })).rejects.toMatchObject({
        code: '23505',
        constraint: 'deployments_one_active_per_application',
      });
    });

    it('rejects moving a second deployment into an active status', async () => {
      const { app } = await appWithServer();
      await fixtures.deployment(app.id, { status: 'in_progress' });
      const pending = await fixtures.deployment(app.id, { status: 'pending' });
      await expect(
        db.dataSource.getRepository(DeploymentEntity).update(pending.id, { status: 'queued' }),
      ).rejects.toMatchObject({ code: '23505' });
    });

    it('allows any number of pending and finished deployments beside an active one', async () => {
      const { app } = await appWithServer();
      await fixtures.deployment(app.id, { status: 'in_progress' });
      for (const status of ['pending', 'pending', 'completed', 'completed', 'failed', 'cancelled'] as const) {
        await fixtures.deployment(app.id, { status });
      }
      expect(await db.dataSource.getRepository(DeploymentEntity).countBy({ applicationId: app.id })).toBe(7);
    });

    it('allows active deployments of different applications at once', async () => {
      const first = await appWithServer();
      const second = await appWithServer();
      await fixtures.deployment(first.app.id, { status: 'in_progress' });
      await expect(fixtures.deployment(second.app.id, { status: 'in_progress' })).resolves.toBeDefined();
    });
  });

  describe('check constraints', () => {
    it('accept every deployment and batch status of the domain and reject others', async () => {
      const { app } = await appWithServer();
      const repository = db.dataSource.getRepository(DeploymentEntity);
      for (const status of DEPLOYMENT_STATUSES) {
        if (ACTIVE_DEPLOYMENT_STATUSES.includes(status)) continue;
        await expect(fixtures.deployment(app.id, { status })).resolves.toMatchObject({ status });
      }
      await expect(
        repository.insert({ applicationId: app.id, image: 'i', tag: 't', status: 'done' as never }),
      ).rejects.toMatchObject({ code: '23514', constraint: 'deployments_status_check' });

      const deployment = await fixtures.deployment(app.id);
      const batches = db.dataSource.getRepository(DeploymentBatchEntity);
      for (const [index, status] of BATCH_STATUSES.entries()) {
        const row = { deploymentId: deployment.id, batchNumber: index + 1, totalBatches: 9, serverIds: [1] };
        await expect(batches.insert({ ...row, targetInstanceCount: 1, status })).resolves.toBeDefined();
      }
      await expect(
        batches.insert({
          deploymentId: deployment.id,
          batchNumber: 99,
          totalBatches: 99,
          serverIds: [],
          targetInstanceCount: 0,
          status: 'skipped' as never,
        }),
      ).rejects.toMatchObject({ code: '23514', constraint: 'deployment_batches_status_check' });
    });

    it('limit the deployment strategy to simple, rolling, blue_green and canary', async () => {
      const { app } = await appWithServer();
      for (const strategy of ['simple', 'rolling', 'blue_green', 'canary'] as const) {
        await expect(fixtures.deployment(app.id, { strategy })).resolves.toMatchObject({ strategy });
      }
      await expect(fixtures.deployment(app.id, { strategy: 'recreate' as never })).rejects.toMatchObject({
        code: '23514',
        constraint: 'deployments_deployment_strategy_check',
      });
    });

    it('keep batch numbers unique within a deployment', async () => {
      const { app } = await appWithServer();
      const deployment = await fixtures.deployment(app.id);
      const row = {
        deploymentId: deployment.id,
        batchNumber: 1,
        totalBatches: 1,
        serverIds: [1],
        targetInstanceCount: 1,
      };
      const batches = db.dataSource.getRepository(DeploymentBatchEntity);
      await batches.insert(row);
      await expect(batches.insert(row)).rejects.toMatchObject({ code: '23505' });
    });

    it('keep server and application names unique per team, and token hashes unique', async () => {
      const { team, server, app } = await appWithServer();
      await expect(fixtures.server(team.id, { name: server.name })).rejects.toMatchObject({ code: '23505' });
      await expect(fixtures.application(team.id, [], { name: app.name })).rejects.toMatchObject({
        code: '23505',
      });
      const other = await fixtures.team();
      await expect(fixtures.server(other.id, { name: server.name })).resolves.toBeDefined();

      const tokens = db.dataSource.getRepository(ApiTokenEntity);
      await tokens.insert({ teamId: team.id, tokenHash: 'a'.repeat(64) });
      await expect(tokens.insert({ teamId: other.id, tokenHash: 'a'.repeat(64) })).rejects.toMatchObject({
        code: '23505',
      });
    });
  });

  describe('deletes', () => {
    it('of a deployment remove its batches and events', async () => {
      const { app } = await appWithServer();
      const deployment = await fixtures.deployment(app.id);
      await db.dataSource.getRepository(DeploymentBatchEntity).insert({
        deploymentId: deployment.id,
        batchNumber: 1,
        totalBatches: 1,
        serverIds: [1],
        targetInstanceCount: 1,
      });
      await db.dataSource
        .getRepository(DeploymentEventEntity)
        .insert({ deploymentId: deployment.id, type: 'started', message: 'go' });
      await db.dataSource.getRepository(DeploymentEntity).delete(deployment.id);
      expect(
        await db.dataSource.getRepository(DeploymentBatchEntity).countBy({ deploymentId: deployment.id }),
      ).toBe(0);
      expect(
        await db.dataSource.getRepository(DeploymentEventEntity).countBy({ deploymentId: deployment.id }),
      ).toBe(0);
    });

    it('of an application remove its server links, instances and deployments, not its servers', async () => {
      const { server, app } = await appWithServer();
      await fixtures.deployment(app.id);
      await db.dataSource
        .getRepository(ApplicationInstanceEntity)
        .insert({ applicationId: app.id, serverId: server.id, hostPort: 8080 });
      await db.dataSource.getRepository(ApplicationEntity).delete(app.id);
      expect(
        await db.dataSource.getRepository(ApplicationServerEntity).countBy({ applicationId: app.id }),
      ).toBe(0);
      expect(
        await db.dataSource.getRepository(ApplicationInstanceEntity).countBy({ applicationId: app.id }),
      ).toBe(0);
      expect(await db.dataSource.getRepository(DeploymentEntity).countBy({ applicationId: app.id })).toBe(0);
      expect(await db.dataSource.getRepository(ServerEntity).countBy({ id: server.id })).toBe(1);
    });

    it('of a server still used by an application, or running its load balancer, are refused', async () => {
      const { team, server } = await appWithServer();
      await expect(db.dataSource.getRepository(ServerEntity).delete(server.id)).rejects.toMatchObject({
        code: '23503',
        constraint: 'application_servers_server_id_fkey',
      });
      const proxy = await fixtures.server(team.id);
      await fixtures.application(team.id, [], {
        loadBalancer: {
          type: 'traefik',
          serverId: proxy.id,
          configPath: '/x.yaml',
          domain: 'x.test',
          drainSeconds: 5,
        },
      });
      await expect(db.dataSource.getRepository(ServerEntity).delete(proxy.id)).rejects.toMatchObject({
        code: '23503',
        constraint: 'applications_load_balancer_server_id_fkey',
      });
    });

    it('of a team remove everything it owns', async () => {
      const { team, server, app } = await appWithServer();
      await fixtures.deployment(app.id, { status: 'in_progress' });
      await db.dataSource
        .getRepository(ApiTokenEntity)
        .insert({ teamId: team.id, tokenHash: 'b'.repeat(64) });
      // Servers are restricted while an application uses them, so the application goes first.
      await db.dataSource.getRepository(ApplicationEntity).delete(app.id);
      await db.dataSource.getRepository(TeamEntity).delete(team.id);
      expect(await db.dataSource.getRepository(ServerEntity).countBy({ id: server.id })).toBe(0);
      expect(await db.dataSource.getRepository(ApiTokenEntity).countBy({ teamId: team.id })).toBe(0);
    });
  });
});
