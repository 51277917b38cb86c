import { ServerEntity } from '../../../src/servers/server.entity';
import { createTestDatabase, type TestDatabase } from '../support/database';

describe('the ORM refuses a missing value in a where clause', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase();
    await db.dataSource.query(`INSERT INTO teams (name) VALUES ('a'), ('b')`);
  });
  afterAll(() => db?.drop());

  it.each([undefined, null])('throws for teamId %p instead of dropping the team filter', async (teamId) => {
    const servers = db.dataSource.getRepository(ServerEntity);
    await expect(servers.find({ where: { teamId: teamId as unknown as number } })).rejects.toThrow();
    await expect(servers.findOneBy({ teamId: teamId as unknown as number, id: 1 })).rejects.toThrow();
    await expect(servers.delete({ teamId: teamId as unknown as number })).rejects.toThrow();
  });
});
