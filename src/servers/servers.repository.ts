import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, LessThan, Repository } from 'typeorm';
import type { Page } from '../common/http/page.query';
import { ApplicationServerEntity } from '../applications/application-server.entity';
import { ApplicationEntity } from '../applications/application.entity';
import { ConflictError } from '../common/errors';
import { isForeignKeyViolation, isUniqueViolation } from '../common/database-errors';
import { ServerEntity } from './server.entity';

export type NewServer = Pick<
  ServerEntity,
  'teamId' | 'name' | 'host' | 'port' | 'user' | 'hostKeyFingerprint'
>;

@Injectable()
export class ServersRepository {
  constructor(
    @InjectRepository(ServerEntity) private readonly servers: Repository<ServerEntity>,
    @InjectRepository(ApplicationEntity) private readonly applications: Repository<ApplicationEntity>,
  ) {}

  /** `sealPrivateKey` gets the new row's id (the ciphertext is bound to it); one transaction. */
  async insert(server: NewServer, sealPrivateKey: (id: number) => string): Promise<ServerEntity> {
    try {
      return await this.servers.manager.transaction(async (manager) => {
        const saved = await manager.save(ServerEntity, { ...server, privateKeyEncrypted: '' });
        saved.privateKeyEncrypted = sealPrivateKey(saved.id);
        await manager.update(ServerEntity, saved.id, { privateKeyEncrypted: saved.privateKeyEncrypted });
        return saved;
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw new ConflictError(`A server named ${server.name} already exists`);
      throw error;
    }
  }

  /** Newest first, at most `limit`, only ids below `beforeId` when given. */
  list(teamId: number, page: Page): Promise<ServerEntity[]> {
    return this.servers.find({
      where: { teamId, ...(page.beforeId === undefined ? {} : { id: LessThan(page.beforeId) }) },
      order: { id: 'DESC' },
      take: page.limit,
    });
  }

  findOne(teamId: number, id: number): Promise<ServerEntity | null> {
    return this.servers.findOneBy({ teamId, id });
  }

  /** The ids among `ids` that are servers of the team. */
  async existingIds(teamId: number, ids: number[]): Promise<Set<number>> {
    const found = await this.servers.find({ select: { id: true }, where: { teamId, id: In(ids) } });
    return new Set(found.map((server) => server.id));
  }

  /** The name of an application that runs on the server or uses it as its load balancer, if any. */
  async applicationUsing(teamId: number, serverId: number): Promise<string | null> {
    const application = await this.applications
      .createQueryBuilder('app')
      .select('app.name', 'name')
      .where('app.teamId = :teamId', { teamId })
      .andWhere(
        (qb) =>
          `(app.loadBalancerServerId = :serverId OR EXISTS ${qb
            .subQuery()
            .select('1')
            .from(ApplicationServerEntity, 'link')
            .where('link.applicationId = app.id AND link.serverId = :serverId')
            .getQuery()})`,
        { serverId },
      )
      .orderBy('app.name')
      .limit(1)
      .getRawOne<{ name: string }>();
    return application?.name ?? null;
  }

  async remove(teamId: number, id: number): Promise<void> {
    try {
      await this.servers.delete({ teamId, id });
    } catch (error) {
      if (isForeignKeyViolation(error)) throw new ConflictError(`Server ${id} is used by an application`);
      throw error;
    }
  }
}
