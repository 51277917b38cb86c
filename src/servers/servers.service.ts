import { Injectable } from '@nestjs/common';
import { pageOf, type PageQuery } from '../common/http/page.query';
import { AppConfig } from '../config/app-config';
import { ConflictError, NotFoundError } from '../common/errors';
import { assertHostAllowed } from '../common/network/host-policy';
import { encryptSecret, serverPrivateKeyRow } from '../common/crypto/secret-box';
import { CreateServerDto } from './create-server.dto';
import { ServerEntity } from './server.entity';
import { toServerView, ServerView } from './server.view';
import { ServersRepository } from './servers.repository';

@Injectable()
export class ServersService {
  constructor(
    private readonly servers: ServersRepository,
    private readonly config: AppConfig,
  ) {}

  async create(teamId: number, dto: CreateServerDto): Promise<ServerView> {
    assertHostAllowed(dto.host, this.config.serverHostDenylist);
    const server = await this.servers.insert(
      {
        teamId,
        name: dto.name,
        host: dto.host,
        port: dto.port ?? 22,
        user: dto.user ?? 'root',
        hostKeyFingerprint: dto.hostKeyFingerprint ?? null,
      },
      (id) => encryptSecret(dto.privateKey, this.config.appKey, serverPrivateKeyRow(id)),
    );
    return toServerView(server);
  }

  async list(teamId: number, query: PageQuery): Promise<ServerView[]> {
    return (await this.servers.list(teamId, pageOf(query))).map(toServerView);
  }

  async get(teamId: number, id: number): Promise<ServerView> {
    return toServerView(await this.find(teamId, id));
  }

  async remove(teamId: number, id: number): Promise<void> {
    await this.find(teamId, id);
    const application = await this.servers.applicationUsing(teamId, id);
    if (application !== null) {
      throw new ConflictError(
        `Server ${id} is used by application ${application}; delete the application first`,
      );
    }
    await this.servers.remove(teamId, id);
  }

  private async find(teamId: number, id: number): Promise<ServerEntity> {
    const server = await this.servers.findOne(teamId, id);
    if (!server) throw new NotFoundError(`Server ${id} not found`);
    return server;
  }
}
