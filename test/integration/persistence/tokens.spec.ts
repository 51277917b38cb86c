import { createHash } from 'node:crypto';
import { ApiTokenEntity } from '../../../src/auth/api-token.entity';
import { TeamEntity } from '../../../src/auth/team.entity';
import { TokenService } from '../../../src/auth/token.service';
import { runCli } from '../../../src/cli';
import type { CliIo } from '../../../src/database/cli-io';
import { createTestDatabase, type TestDatabase } from '../support/database';

function capture(): CliIo & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (line) => stdout.push(line), err: (line) => stderr.push(line) };
}

describe('TokenService', () => {
  let db: TestDatabase;
  let tokens: TokenService;

  beforeAll(async () => {
    db = await createTestDatabase();
    tokens = new TokenService(db.dataSource);
  }, 30_000);
  afterAll(async () => {
    await tokens?.settle();
    await db?.drop();
  });

  it('creates the team once and stores only the SHA-256 of each token', async () => {
    const first = await tokens.createToken('acme');
    const second = await tokens.createToken('  acme ');
    expect(first.token).toMatch(/^rlt_[A-Za-z0-9_-]{43}$/);
    expect(second.token).not.toBe(first.token);
    expect([first.teamCreated, second.teamCreated]).toEqual([true, false]);
    expect(second.teamId).toBe(first.teamId);
    expect(await db.dataSource.getRepository(TeamEntity).countBy({ name: 'acme' })).toBe(1);

    const stored = await db.dataSource.getRepository(ApiTokenEntity).findBy({ teamId: first.teamId });
    expect(stored.map((row) => row.tokenHash).sort()).toEqual(
      [first.token, second.token].map((token) => createHash('sha256').update(token).digest('hex')).sort(),
    );
  });

  it('creates one team when two tokens for a new team are created at once', async () => {
    const [one, two] = await Promise.all([tokens.createToken('racing'), tokens.createToken('racing')]);
    expect(one.teamId).toBe(two.teamId);
    expect([one.teamCreated, two.teamCreated].sort()).toEqual([false, true]);
  });

  it('verifies a token to its team and records its use', async () => {
    const { token, teamId } = await tokens.createToken('verified');
    expect(await tokens.verify(token)).toEqual({ teamId });
    await tokens.settle();
    const row = await db.dataSource.getRepository(ApiTokenEntity).findOneByOrFail({ teamId });
    expect(row.lastUsedAt).toBeInstanceOf(Date);
    expect(Date.now() - (row.lastUsedAt as Date).getTime()).toBeLessThan(60_000);
  });

  it('keeps teams apart', async () => {
    const a = await tokens.createToken('team-a');
    const b = await tokens.createToken('team-b');
    expect(await tokens.verify(a.token)).toEqual({ teamId: a.teamId });
    expect(await tokens.verify(b.token)).toEqual({ teamId: b.teamId });
    expect(a.teamId).not.toBe(b.teamId);
  });

  it.each(['', 'rlt_', 'nope', `rlt_${'A'.repeat(43)}`, `xyz_${'A'.repeat(43)}`])(
    'rejects %p',
    async (token) => {
      expect(await tokens.verify(token)).toBeNull();
    },
  );

  it('rejects a token whose last character was changed', async () => {
    const { token } = await tokens.createToken('tampered');
    const changed = token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A');
    expect(await tokens.verify(changed)).toBeNull();
  });

  it.each(['', '   ', 'x'.repeat(101), 'tab\there'])('refuses the team name %p', async (name) => {
    await expect(tokens.createToken(name)).rejects.toThrow('team name must be 1 to 100 printable characters');
  });
});

describe('cli token create', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase();
  }, 30_000);
  afterAll(() => db?.drop());

  it('prints only the token on stdout and the rest on stderr', async () => {
    const io = capture();
    expect(await runCli(['token', 'create', '--team', 'ops'], io, { DATABASE_URL: db.url })).toBe(0);
    expect(io.stdout).toHaveLength(1);
    expect(io.stdout[0]).toMatch(/^rlt_[A-Za-z0-9_-]{43}$/);
    expect(io.stderr).toEqual([expect.stringMatching(/^created team "ops" \(id \d+\); new API token:$/)]);

    const verifier = new TokenService(db.dataSource);
    const team = await db.dataSource.getRepository(TeamEntity).findOneByOrFail({ name: 'ops' });
    expect(await verifier.verify(io.stdout[0])).toEqual({ teamId: team.id });
    await verifier.settle();
  });

  it('accepts --team=NAME, reuses the team, and stays quiet on stderr with LOG_LEVEL=error', async () => {
    const io = capture();
    const env = { DATABASE_URL: db.url, LOG_LEVEL: 'error' };
    expect(await runCli(['token', 'create', '--team=ops'], io, env)).toBe(0);
    expect(io.stdout).toEqual([expect.stringMatching(/^rlt_/)]);
    expect(io.stderr).toEqual([]);
    expect(await db.dataSource.getRepository(TeamEntity).countBy({ name: 'ops' })).toBe(1);
  });

  it.each([
    [[]],
    [['token']],
    [['token', 'create']],
    [['token', 'create', '--team']],
    [['token', 'create', '--team', '']],
    [['token', 'create', '--team', 'a', 'extra']],
    [['token', 'create', '--team', 'a', '--admin']],
    [['token', 'delete', '--team', 'a']],
  ])('exits 2 with its usage for %p', async (argv) => {
    const io = capture();
    expect(await runCli(argv, io, { DATABASE_URL: db.url })).toBe(2);
    expect(io.stdout).toEqual([]);
    expect(io.stderr.join('\n')).toContain('usage: npm run --silent cli -- token create --team NAME');
  });

  it('needs DATABASE_URL but not APP_KEY', async () => {
    const io = capture();
    expect(await runCli(['token', 'create', '--team', 'x'], io, {})).toBe(1);
    expect(io.stderr).toEqual([
      'error: Invalid environment variable DATABASE_URL: it is required (e.g. postgres://user@host:5432/rollout)',
    ]);
    expect(io.stdout).toEqual([]);
  });

  it('says to run the migrations when the tables are missing', async () => {
    const bare = await createTestDatabase({ migrate: false });
    try {
      const io = capture();
      expect(await runCli(['token', 'create', '--team', 'x'], io, { DATABASE_URL: bare.url })).toBe(1);
      expect(io.stdout).toEqual([]);
      expect(io.stderr.join('\n')).toMatch(
        /^error: cannot create a token: the Rollout tables are missing .*run `npm run migration:run` first$/,
      );
    } finally {
      await bare.drop();
    }
  });
});
