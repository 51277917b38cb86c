import { createHash } from 'node:crypto';
import { ApiTokenEntity } from '../../../src/auth/api-token.entity';
import { TeamEntity } from '../../../src/auth/team.entity';
import { TokenService } from '../../../src/auth/token.service';
import { runCli } from '../../../src/cli';
import type { CliIo } from '../../../src/database/cli-io';
import { defined } from '../../support/defined';
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
    expect(await tokens.verify(token)).toEqual({
      teamId,
      tokenId: expect.any(Number) as number,
      scope: 'admin',
    });
    await tokens.settle();
    const row = await db.dataSource.getRepository(ApiTokenEntity).findOneByOrFail({ teamId });
    expect(row.lastUsedAt).toBeInstanceOf(Date);
    expect(Date.now() - (row.lastUsedAt as Date).getTime()).toBeLessThan(60_000);
  });

  it('keeps teams apart', async () => {
    const a = await tokens.createToken('team-a');
    const b = await tokens.createToken('team-b');
    expect(await tokens.verify(a.token)).toMatchObject({ teamId: a.teamId, tokenId: a.id });
    expect(await tokens.verify(b.token)).toMatchObject({ teamId: b.teamId, tokenId: b.id });
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
    await expect(tokens.createToken(name)).rejects.toThrow('team must be 1 to 100 printable characters');
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
    expect(io.stderr).toEqual([
      expect.stringMatching(/^created team "ops" \(id \d+\); new API token \(id \d+, scope admin\):$/),
    ]);

    const verifier = new TokenService(db.dataSource);
    const team = await db.dataSource.getRepository(TeamEntity).findOneByOrFail({ name: 'ops' });
    expect(await verifier.verify(defined(io.stdout[0], 'the printed token'))).toMatchObject({
      teamId: team.id,
      scope: 'admin',
    });
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
    expect(io.stderr.join('\n')).toContain('token revoke ID');
  });

  it('without DATABASE_URL works on the embedded database of ROLLOUT_DATA_DIR, and names a folder it cannot use', async () => {
    const io = capture();
    const env = { ROLLOUT_DATA_DIR: '/dev/null/rollout' };
    expect(await runCli(['token', 'create', '--team', 'x'], io, env)).toBe(1);
    expect(io.stderr).toHaveLength(1);
    expect(io.stderr[0]).toMatch(
      /^error: cannot create a token: Invalid environment variable ROLLOUT_DATA_DIR: cannot use the data folder \/dev\/null\/rollout \(ENOTDIR/,
    );
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

describe('cli token create options, token list and token revoke', () => {
  let db: TestDatabase;
  const env = (): Record<string, string> => ({ DATABASE_URL: db.url, LOG_LEVEL: 'error' });

  beforeAll(async () => {
    db = await createTestDatabase();
  }, 30_000);
  afterAll(() => db?.drop());

  async function cli(argv: string[]): Promise<{ code: number; stdout: string[]; stderr: string[] }> {
    const io = capture();
    const code = await runCli(argv, io, env());
    return { code, stdout: io.stdout, stderr: io.stderr };
  }

  it('creates a named, scoped, expiring token and lists it without its secret', async () => {
    const created = await cli([
      'token',
      'create',
      '--team',
      'ci',
      '--scope',
      'deploy',
      '--expires-in',
      '30d',
      '--name',
      'pipeline',
    ]);
    expect(created.code).toBe(0);
    const secret = defined(created.stdout[0], 'the printed token');
    const verifier = new TokenService(db.dataSource);
    expect(await verifier.verify(secret)).toMatchObject({ scope: 'deploy' });
    await verifier.settle();

    const listed = await cli(['token', 'list', '--team', 'ci', '--json']);
    expect(listed.code).toBe(0);
    const tokens = JSON.parse(listed.stdout.join('\n')) as Record<string, unknown>[];
    expect(tokens).toEqual([
      expect.objectContaining({
        id: expect.any(Number) as number,
        name: 'pipeline',
        scope: 'deploy',
        revokedAt: null,
      }),
    ]);
    const expiresAt = defined(tokens[0], 'the listed token').expiresAt as string;
    const expiresIn = new Date(expiresAt).getTime() - Date.now();
    expect(Math.abs(expiresIn - 30 * 86_400_000)).toBeLessThan(60_000);
    const table = await cli(['token', 'list', '--team', 'ci']);
    expect(table.stdout[0]).toMatch(/^ID\s+NAME\s+SCOPE\s+CREATED\s+EXPIRES\s+LAST USED\s+REVOKED$/);
    expect(table.stdout[1]).toMatch(/^\d+\s+pipeline\s+deploy\s/);
    for (const output of [listed, table]) {
      expect(output.stdout.join('\n')).not.toContain(secret);
      expect(output.stdout.join('\n')).not.toContain(secret.slice(4, 20));
    }
  });

  it('revokes a token at once, says so when it already was, and refuses unknown ids', async () => {
    const created = await cli(['token', 'create', '--team', 'revokers']);
    const verifier = new TokenService(db.dataSource);
    const secret = defined(created.stdout[0], 'the printed token');
    const identity = await verifier.verify(secret);
    expect(identity).not.toBeNull();
    expect(await cli(['token', 'revoke', String(identity!.tokenId)])).toMatchObject({ code: 0, stdout: [] });
    expect(await verifier.verify(secret)).toBeNull();
    const again = capture();
    expect(
      await runCli(['token', 'revoke', String(identity!.tokenId)], again, { DATABASE_URL: db.url }),
    ).toBe(0);
    expect(again.stderr).toEqual([`token ${identity!.tokenId} was already revoked`]);
    const unknown = await cli(['token', 'revoke', '999999']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toEqual(['error: cannot revoke the token: token 999999 does not exist']);
    const listing = await cli(['token', 'list', '--team', 'revokers', '--json']);
    const listed = JSON.parse(listing.stdout.join('\n')) as { revokedAt: string | null }[];
    expect(defined(listed[0], 'the listed token').revokedAt).not.toBeNull();
    await verifier.settle();
  });

  it.each([
    [['token', 'create', '--team', 'x', '--scope', 'root']],
    [['token', 'create', '--team', 'x', '--expires-in', '30']],
    [['token', 'create', '--team', 'x', '--expires-in', '-1d']],
    [['token', 'create', '--team', 'x', '--expires-in', '0d']],
    [['token', 'list']],
    [['token', 'revoke']],
    [['token', 'revoke', 'abc']],
    [['token', 'revoke', '1', '2']],
    [['keys']],
  ])('exits 2 with its usage for %p, changing nothing', async (argv) => {
    const before: unknown = await db.dataSource.query('SELECT count(*)::int AS n FROM api_tokens');
    const result = await cli(argv);
    expect(result.code).toBe(2);
    expect(result.stdout).toEqual([]);
    expect(result.stderr.join('\n')).toContain('usage:');
    expect(await db.dataSource.query('SELECT count(*)::int AS n FROM api_tokens')).toEqual(before);
  });

  it('refuses a too long token name and lists an unknown team as an error', async () => {
    const long = await cli(['token', 'create', '--team', 'x', '--name', 'n'.repeat(101)]);
    expect(long.code).toBe(1);
    expect(long.stderr).toEqual(['error: cannot create a token: name must be 1 to 100 printable characters']);
    const unknown = await cli(['token', 'list', '--team', 'nobody']);
    expect(unknown).toMatchObject({ code: 1, stdout: [] });
    expect(unknown.stderr).toEqual(['error: cannot list tokens: team "nobody" does not exist']);
  });
});
