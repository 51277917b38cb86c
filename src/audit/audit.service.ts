import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { DataSource, LessThan } from 'typeorm';
import type { Page } from '../common/http/page.query';
import { AuditEntryEntity } from './audit-entry.entity';

/** One audit entry as the API lists it. */
export interface AuditEntryView {
  id: number;
  at: string;
  tokenId: number | null;
  method: string;
  route: string;
  targetId: number | null;
  statusCode: number;
}

export type NewAuditEntry = Omit<AuditEntryEntity, 'id' | 'at' | 'team' | 'token'>;

/** The audit log: written after each state-changing request has been answered, listed per team. */
@Injectable()
export class AuditService implements OnApplicationShutdown {
  private readonly logger = new Logger(AuditService.name);
  private readonly pending = new Set<Promise<void>>();

  constructor(private readonly dataSource: DataSource) {}

  /** Writes the entry without making anyone wait; a failed write is logged (no secret is in it). */
  record(entry: NewAuditEntry): void {
    const write = this.dataSource
      .getRepository(AuditEntryEntity)
      .insert(entry)
      .then(
        () => undefined,
        (error: unknown) => this.logger.error({ err: error, entry }, 'could not write an audit entry'),
      )
      .finally(() => this.pending.delete(write));
    this.pending.add(write);
  }

  async list(teamId: number, page: Page): Promise<AuditEntryView[]> {
    const rows = await this.dataSource.getRepository(AuditEntryEntity).find({
      where: { teamId, ...(page.beforeId === undefined ? {} : { id: LessThan(page.beforeId) }) },
      order: { id: 'DESC' },
      take: page.limit,
    });
    return rows.map((row) => ({
      id: row.id,
      at: row.at.toISOString(),
      tokenId: row.tokenId,
      method: row.method,
      route: row.route,
      targetId: row.targetId,
      statusCode: row.statusCode,
    }));
  }

  /** Waits for the writes still in flight (tests, shutdown). */
  async settle(): Promise<void> {
    await Promise.all([...this.pending]);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.settle();
  }
}
