import { ApplicationInstanceEntity } from '../../../src/applications/application-instance.entity';
import type { AppConfig } from '../../../src/config/app-config';
import { RecordNotFoundError } from '../../../src/infra/persistence/persistence-errors';
import { encryptSecret, serverPrivateKeyRow } from '../../../src/common/crypto/secret-box';
import { TypeormHostKeyPinning } from '../../../src/infra/persistence/typeorm-host-key-pinning';
import { TypeormRolloutStore } from '../../../src/infra/persistence/typeorm-rollout-store';
import type { InstanceState } from '../../../src/rollout/domain';
import { RemoteConnectionError } from '../../../src/rollout/ports/remote-executor.port';
import { ServerEntity } from '../../../src/servers/server.entity';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { Fixtures, TEST_APP_KEY } from '../support/fixtures';

/** What only the Postgres store can get wrong; what every RolloutStore does is in rollout-store-contract.ts. */
describe('TypeormRolloutStore (Postgres only)', () => {
  let db: TestDatabase;
  let fixtures: Fixtures;
  let store: TypeormRolloutStore;

  beforeAll(async () => {
    db = await createTestDatabase();
    fixtures = new Fixtures(db.dataSource);
    store = new TypeormRolloutStore(db.dataSource, { appKey: TEST_APP_KEY } as AppConfig);
  }, 30_000);
  afterAll(() => db?.drop());

  async function scenario() {
    const team = await fixtures.team();
    const a = await fixtures.server(team.id, { name: 'a', host: '10.0.0.1' });
    const b = await fixtures.server(team.id, { name: 'b', host: '10.0.0.2' });
    const app = await fixtures.application(team.id, [a.id, b.id]);
    const deployment = await fixtures.deployment(app.id, { status: 'queued' });
    return { a, b, app, deployment };
  }

  it('names the server whose key cannot be decrypted, never the key', async () => {
    const s = await scenario();
    await db.dataSource.getRepository(ServerEntity).update(s.a.id, {
      privateKeyEncrypted: encryptSecret('SECRET-KEY', Buffer.alloc(32, 1), serverPrivateKeyRow(s.a.id)),
    });
    const error = await store.loadContext(s.deployment.id).then(
      () => null,
      (caught: Error) => caught,
    );
    expect(error?.message).toMatch(/cannot read the private key of server "a" \(id \d+\): .*APP_KEY differs/);
    expect(error?.message).not.toContain('SECRET-KEY');
  });

  it('saveInstance upserts one row per application and server', async () => {
    const s = await scenario();
    const instance: InstanceState = {
      serverId: s.b.id,
      image: 'ghcr.io/acme/shop',
      tag: 'v1',
      status: 'running',
      inRotation: true,
      hostPort: 8080,
      previousImage: null,
      previousTag: null,
    };
    await store.saveInstance(s.app.id, instance);
    await store.saveInstance(s.app.id, {
      ...instance,
      tag: 'v2',
      inRotation: false,
      previousTag: 'v1',
      previousImage: 'x',
    });
    const rows = await db.dataSource
      .getRepository(ApplicationInstanceEntity)
      .findBy({ applicationId: s.app.id });
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ tag: 'v2', inRotation: false, previousTag: 'v1', previousImage: 'x' });
  });
});

describe('TypeormHostKeyPinning', () => {
  let db: TestDatabase;
  let fixtures: Fixtures;
  let pinning: TypeormHostKeyPinning;

  beforeAll(async () => {
    db = await createTestDatabase();
    fixtures = new Fixtures(db.dataSource);
    pinning = new TypeormHostKeyPinning(db.dataSource);
  }, 30_000);
  afterAll(() => db?.drop());

  async function fingerprintOf(serverId: number): Promise<string | null> {
    return (await db.dataSource.getRepository(ServerEntity).findOneByOrFail({ id: serverId }))
      .hostKeyFingerprint;
  }

  it('pins the first key seen', async () => {
    const server = await fixtures.server((await fixtures.team()).id);
    await pinning.pin(server.id, 'SHA256:first');
    expect(await fingerprintOf(server.id)).toBe('SHA256:first');
    await expect(pinning.pin(server.id, 'SHA256:first')).resolves.toBeUndefined();
  });

  it('never overwrites a pinned key, and refuses a different one', async () => {
    const server = await fixtures.server((await fixtures.team()).id, {
      name: 'web-9',
      hostKeyFingerprint: 'SHA256:known',
    });
    const error = await pinning.pin(server.id, 'SHA256:other').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RemoteConnectionError);
    expect(error).toMatchObject({
      serverName: 'web-9',
      message: expect.stringContaining('SHA256:known') as string,
    });
    expect(await fingerprintOf(server.id)).toBe('SHA256:known');
  });

  it('lets exactly one of two racing first connections win', async () => {
    const server = await fixtures.server((await fixtures.team()).id);
    const results = await Promise.allSettled([
      pinning.pin(server.id, 'SHA256:one'),
      pinning.pin(server.id, 'SHA256:two'),
    ]);
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
    const winner = results[0].status === 'fulfilled' ? 'SHA256:one' : 'SHA256:two';
    expect(await fingerprintOf(server.id)).toBe(winner);
  });

  it('throws for a server that is gone', async () => {
    await expect(pinning.pin(987654, 'SHA256:x')).rejects.toThrow(RecordNotFoundError);
  });
});
