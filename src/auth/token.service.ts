import { createHash, randomBytes } from 'node:crypto';
import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { DataSource, In } from 'typeorm';
import { NotFoundError, ValidationFailedError } from '../common/errors';
import { ApiTokenEntity } from './api-token.entity';
import { TeamEntity } from './team.entity';
import { isTokenScope, TOKEN_SCOPES, type TokenScope } from './token-scope';

const TOKEN_SHAPE = /^rlt_[A-Za-z0-9_-]{43}$/;
// last_used_at is informative; one write a minute per token is plenty and keeps requests from writing.
const TOUCH_INTERVAL_MS = 60_000;
const MAX_TEAM_NAME = 100;
const MAX_TOKEN_NAME = 100;
const MAX_LIFETIME_MS = 10 * 366 * 24 * 3600 * 1000;

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export interface CreatedToken {
  token: string;
  id: number;
  teamId: number;
  teamCreated: boolean;
}

export interface TokenOptions {
  scope?: TokenScope;
  /** Lifetime in milliseconds from now; none: the token does not expire. */
  expiresInMs?: number;
  name?: string;
}

/** What a valid token grants. */
export interface TokenIdentity {
  tokenId: number;
  teamId: number;
  scope: TokenScope;
}

/** A token as listed: never its secret. */
export interface TokenSummary {
  id: number;
  name: string | null;
  scope: TokenScope;
  createdAt: Date;
  expiresAt: Date | null;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

function checkTeamName(teamName: string): string {
  const name = teamName.trim();
  if (name.length === 0 || name.length > MAX_TEAM_NAME || /\p{Cc}/u.test(name)) {
    throw new ValidationFailedError([`team must be 1 to ${MAX_TEAM_NAME} printable characters`]);
  }
  return name;
}

function checkOptions(options: TokenOptions): string[] {
  const problems: string[] = [];
  if (options.scope !== undefined && !isTokenScope(options.scope)) {
    problems.push(`scope must be one of ${TOKEN_SCOPES.join(', ')}`);
  }
  const life = options.expiresInMs;
  if (life !== undefined && (!Number.isSafeInteger(life) || life <= 0 || life > MAX_LIFETIME_MS)) {
    problems.push('expires-in must be a positive duration of at most 10 years');
  }
  const name = options.name;
  if (name !== undefined && (name.length === 0 || name.length > MAX_TOKEN_NAME || /\p{Cc}/u.test(name))) {
    problems.push(`name must be 1 to ${MAX_TOKEN_NAME} printable characters`);
  }
  return problems;
}

export function isUsable(row: Pick<ApiTokenEntity, 'revokedAt' | 'expiresAt'>, now = new Date()): boolean {
  return row.revokedAt === null && (row.expiresAt === null || row.expiresAt.getTime() > now.getTime());
}

/** API tokens: shown once when created, stored only as their SHA-256; scoped, expiring and revocable. */
@Injectable()
export class TokenService implements OnApplicationShutdown {
  private readonly logger = new Logger(TokenService.name);
  private readonly pendingTouches = new Set<Promise<void>>();

  constructor(private readonly dataSource: DataSource) {}

  /** Creates the team when it does not exist yet, then a new token for it (scope `admin` by default). */
  async createToken(teamName: string, options: TokenOptions = {}): Promise<CreatedToken> {
    const name = checkTeamName(teamName);
    const problems = checkOptions(options);
    if (problems.length > 0) throw new ValidationFailedError(problems);
    const token = `rlt_${randomBytes(32).toString('base64url')}`;
    const expiresAt = options.expiresInMs === undefined ? null : new Date(Date.now() + options.expiresInMs);
    return this.dataSource.transaction(async (manager) => {
      const inserted = await manager
        .createQueryBuilder()
        .insert()
        .into(TeamEntity)
        .values({ name })
        .orIgnore()
        .returning(['id'])
        .execute();
      const createdId = (inserted.raw as { id: number }[])[0]?.id;
      const teamId = createdId ?? (await manager.findOneByOrFail(TeamEntity, { name })).id;
      const saved = await manager.save(
        manager.create(ApiTokenEntity, {
          teamId,
          tokenHash: hashToken(token),
          scope: options.scope ?? 'admin',
          name: options.name ?? null,
          expiresAt,
        }),
      );
      return { token, id: saved.id, teamId, teamCreated: createdId !== undefined };
    });
  }

  /** The tokens of a team, oldest first; 404 when the team does not exist. */
  async list(teamName: string): Promise<TokenSummary[]> {
    const team = await this.dataSource.getRepository(TeamEntity).findOneBy({ name: checkTeamName(teamName) });
    if (!team) throw new NotFoundError(`team "${teamName.trim()}" does not exist`);
    return this.dataSource.getRepository(ApiTokenEntity).find({
      where: { teamId: team.id },
      select: {
        id: true,
        name: true,
        scope: true,
        createdAt: true,
        expiresAt: true,
        lastUsedAt: true,
        revokedAt: true,
      },
      order: { id: 'ASC' },
    });
  }

  /** Revokes a token at once; revoking it again changes nothing. 404 for an unknown id. */
  async revoke(tokenId: number): Promise<{ alreadyRevoked: boolean }> {
    if (!Number.isSafeInteger(tokenId) || tokenId <= 0)
      throw new ValidationFailedError(['id must be a positive integer']);
    const repository = this.dataSource.getRepository(ApiTokenEntity);
    const row = await repository.findOne({ where: { id: tokenId }, select: { id: true, revokedAt: true } });
    if (!row) throw new NotFoundError(`token ${tokenId} does not exist`);
    if (row.revokedAt !== null) return { alreadyRevoked: true };
    await repository.update({ id: tokenId }, { revokedAt: () => 'now()' });
    return { alreadyRevoked: false };
  }

  /** What a valid (known, unexpired, unrevoked) token grants, or null. Records the use without waiting. */
  async verify(token: string): Promise<TokenIdentity | null> {
    if (!TOKEN_SHAPE.test(token)) return null;
    const row = await this.dataSource.getRepository(ApiTokenEntity).findOne({
      where: { tokenHash: hashToken(token) },
      select: { id: true, teamId: true, scope: true, expiresAt: true, revokedAt: true, lastUsedAt: true },
    });
    if (!row || !isUsable(row)) return null;
    if (!row.lastUsedAt || Date.now() - row.lastUsedAt.getTime() >= TOUCH_INTERVAL_MS) this.touch(row.id);
    return { tokenId: row.id, teamId: row.teamId, scope: row.scope };
  }

  /** Of the given token ids, those still usable now. */
  async stillUsable(tokenIds: number[]): Promise<Set<number>> {
    if (tokenIds.length === 0) return new Set();
    const rows = await this.dataSource.getRepository(ApiTokenEntity).find({
      where: { id: In(tokenIds) },
      select: { id: true, expiresAt: true, revokedAt: true },
    });
    return new Set(rows.filter((row) => isUsable(row)).map((row) => row.id));
  }

  /** Waits for the `last_used_at` writes still in flight (tests, shutdown). */
  async settle(): Promise<void> {
    await Promise.all([...this.pendingTouches]);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.settle();
  }

  private touch(tokenId: number): void {
    const write = this.dataSource
      .getRepository(ApiTokenEntity)
      .update({ id: tokenId }, { lastUsedAt: () => 'now()' })
      .then(
        () => undefined,
        (error: unknown) =>
          this.logger.warn(`could not record the use of API token ${tokenId}: ${String(error)}`),
      )
      .finally(() => this.pendingTouches.delete(write));
    this.pendingTouches.add(write);
  }
}
