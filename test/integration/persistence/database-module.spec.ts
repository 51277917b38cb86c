import { Global, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { getRepositoryToken } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { TokenService } from '../../../src/auth/token.service';
import { AppConfig } from '../../../src/config/app-config';
import { DatabaseModule } from '../../../src/database/database.module';
import { PersistenceModule } from '../../../src/infra/persistence/persistence.module';
import { TypeormHostKeyPinning } from '../../../src/infra/persistence/typeorm-host-key-pinning';
import { TypeormRolloutStore } from '../../../src/infra/persistence/typeorm-rollout-store';
import { HostKeyPinning } from '../../../src/rollout/ports/remote-executor.port';
import { RolloutStore } from '../../../src/rollout/ports/rollout-store.port';
import { ServerEntity } from '../../../src/servers/server.entity';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { Fixtures, TEST_APP_KEY } from '../support/fixtures';

describe('DatabaseModule and PersistenceModule', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase();
  }, 30_000);
  afterAll(() => db?.drop());

  it('connect with AppConfig and provide the repositories, the store, the pinning and the token service', async () => {
    const config = Object.assign(new AppConfig(), { databaseUrl: db.url, appKey: TEST_APP_KEY });
    @Global()
    @Module({ providers: [{ provide: AppConfig, useValue: config }], exports: [AppConfig] })
    class TestConfigModule {}

    const moduleRef = await Test.createTestingModule({
      imports: [TestConfigModule, DatabaseModule, PersistenceModule],
      providers: [TokenService],
    }).compile();
    await moduleRef.init();
    try {
      expect(moduleRef.get(RolloutStore)).toBeInstanceOf(TypeormRolloutStore);
      expect(moduleRef.get(HostKeyPinning)).toBeInstanceOf(TypeormHostKeyPinning);

      const team = await new Fixtures(db.dataSource).team('nest');
      const servers = moduleRef.get<Repository<ServerEntity>>(getRepositoryToken(ServerEntity));
      expect(await servers.count()).toBe(0);

      const tokens = moduleRef.get(TokenService);
      const created = await tokens.createToken('nest');
      expect(created.teamId).toBe(team.id);
      expect(await tokens.verify(created.token)).toEqual({
        teamId: team.id,
        tokenId: created.id,
        scope: 'admin',
      });
    } finally {
      await moduleRef.close();
    }
  });
});
