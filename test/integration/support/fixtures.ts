import { randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { ApplicationServerEntity } from '../../../src/applications/application-server.entity';
import { ApplicationEntity } from '../../../src/applications/application.entity';
import { TeamEntity } from '../../../src/auth/team.entity';
import { DeploymentEntity } from '../../../src/deployments/deployment.entity';
import { encryptSecret, serverPrivateKeyRow } from '../../../src/common/crypto/secret-box';
import type { LoadBalancerConfig } from '../../../src/rollout/domain';
import { ServerEntity } from '../../../src/servers/server.entity';

/** A fixed APP_KEY for tests that store servers. */
export const TEST_APP_KEY = Buffer.alloc(32, 42);

export function testPrivateKey(label: string): string {
  return `-----BEGIN OPENSSH PRIVATE KEY-----\n${label}\n-----END OPENSSH PRIVATE KEY-----\n`;
}

/** Rows inserted straight through the entities, with sensible defaults that each call may override. */
export class Fixtures {
  constructor(
    private readonly dataSource: DataSource,
    private readonly appKey: Buffer = TEST_APP_KEY,
  ) {}

  team(name = `team-${randomBytes(3).toString('hex')}`): Promise<TeamEntity> {
    return this.dataSource.getRepository(TeamEntity).save({ name });
  }

  async server(
    teamId: number,
    overrides: Partial<ServerEntity> & { privateKey?: string } = {},
  ): Promise<ServerEntity> {
    const { privateKey, ...fields } = overrides;
    const name = fields.name ?? `web-${randomBytes(3).toString('hex')}`;
    const servers = this.dataSource.getRepository(ServerEntity);
    const saved = await servers.save({
      teamId,
      name,
      host: '127.0.0.1',
      port: 22,
      user: 'deploy',
      privateKeyEncrypted: '',
      hostKeyFingerprint: null,
      ...fields,
    });
    if (fields.privateKeyEncrypted === undefined) {
      // The ciphertext is bound to the row, so it is sealed once the id is known (as the API does).
      const row = serverPrivateKeyRow(saved.id);
      saved.privateKeyEncrypted = encryptSecret(privateKey ?? testPrivateKey(name), this.appKey, row);
      await servers.update(saved.id, { privateKeyEncrypted: saved.privateKeyEncrypted });
    }
    return saved;
  }

  /** An application on `serverIds`, in that order. */
  async application(
    teamId: number,
    serverIds: number[],
    overrides: Partial<ApplicationEntity> = {},
  ): Promise<ApplicationEntity> {
    const loadBalancer: LoadBalancerConfig = overrides.loadBalancer ?? { type: 'none' };
    const app = await this.dataSource.getRepository(ApplicationEntity).save({
      teamId,
      name: `shop-${randomBytes(3).toString('hex')}`,
      image: 'ghcr.io/acme/shop',
      tag: 'v1',
      containerPort: 3000,
      hostPort: 8080,
      alternateHostPort: 8081,
      env: {},
      healthCheckPath: '/health',
      loadBalancer,
      loadBalancerServerId: loadBalancer.type === 'none' ? null : loadBalancer.serverId,
      ...overrides,
    });
    await this.dataSource
      .getRepository(ApplicationServerEntity)
      .insert(serverIds.map((serverId, position) => ({ applicationId: app.id, serverId, position })));
    return app;
  }

  deployment(applicationId: number, overrides: Partial<DeploymentEntity> = {}): Promise<DeploymentEntity> {
    return this.dataSource
      .getRepository(DeploymentEntity)
      .save({ applicationId, image: 'ghcr.io/acme/shop', tag: 'v2', ...overrides });
  }
}
