import { createHash, randomBytes } from 'node:crypto';
import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { ValidationFailedError } from '../common/errors';
import { ApiTokenEntity } from './api-token.entity';
import { TeamEntity } from './team.entity';

const TOKEN_SHAPE = /^rlt_[A-Za-z0-9_-]{43}$/;
// last_used_at is informative; one write a minute per token is plenty and keeps requests from writing.
const TOUCH_INTERVAL_MS = 60_000;
const MAX_TEAM_NAME = 100;

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export interface CreatedToken {
  token: string;
  teamId: number;
  teamCreated: boolean;
}

/** API tokens: shown once when created, stored only as their SHA-256. */
@Injectable()
export class TokenService implements OnApplicationShutdown {
  private readonly logger = new Logger(TokenService.name);
  private readonly pendingTouches = new Set<Promise<void>>();

  constructor(private readonly dataSource: DataSource) {}

  /** Creates the team when it does not exist yet, then a new token for it. */
  async createToken(teamName: string): Promise<CreatedToken> {
    const name = teamName.trim();
    if (name.length === 0 || name.length > MAX_TEAM_NAME || /\p{Cc}/u.test(name)) {
      throw new ValidationFailedError([`team name must be 1 to ${MAX_TEAM_NAME} printable characters`]);
    }
    const token = `rlt_${randomBytes(32).toString('base64url')}`;
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
      await manager.insert(ApiTokenEntity, { teamId, tokenHash: hashToken(token) });
      return { token, teamId, teamCreated: createdId !== undefined };
    });
  }

  /** The team of a valid token, or null. Records the use without making the caller wait for it. */
  async verify(token: string): Promise<{ teamId: number } | null> {
    if (!TOKEN_SHAPE.test(token)) return null;
    const row = await this.dataSource.getRepository(ApiTokenEntity).findOne({
      where: { tokenHash: hashToken(token) },
      select: { id: true, teamId: true, lastUsedAt: true },
    });
    if (!row) return null;
    if (!row.lastUsedAt || Date.now() - row.lastUsedAt.getTime() >= TOUCH_INTERVAL_MS) this.touch(row.id);
    return { teamId: row.teamId };
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
