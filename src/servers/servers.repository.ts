import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, Repository } from 'typeorm';
import { ApplicationServerEntity } from '../applications/application-server.entity';
import { ApplicationEntity } from '../applications/application.entity';
import { ConflictError } from '../common/errors';
import { isForeignKeyViolation, isUniqueViolation } from '../common/database-errors';
import { ServerEntity } from './server.entity';

export type NewServer = Pick<
  ServerEntity,
  'teamId' | 'name' | 'host' | 'port' | 'user' | 'hostKeyFingerprint'
> & {
  privateKeyEncrypted: string;
};

@Injectable()
export class ServersRepository {
  constructor(
    @InjectRepository(ServerEntity) private readonly servers: Repository<ServerEntity>,
    @InjectRepository(ApplicationEntity) private readonly applications: Repository<ApplicationEntity>,
  ) {}

  async insert(server: NewServer): Promise<ServerEntity> {
    try {
      return await this.servers.save(this.servers.create(server));
    } catch (error) {
      if (isUniqueViolation(error)) throw new ConflictError(`A server named ${server.name} already exists`);
      throw error;
    }
  }

  list(teamId: number): Promise<ServerEntity[]> {
    return this.servers.find({ where: { teamId }, order: { id: 'ASC' } });
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
