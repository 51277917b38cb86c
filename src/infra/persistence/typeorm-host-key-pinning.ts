import { Injectable } from '@nestjs/common';
import { DataSource, IsNull } from 'typeorm';
import { HostKeyPinning, RemoteConnectionError } from '../../rollout/ports/remote-executor.port';
import { ServerEntity } from '../../servers/server.entity';
import { RecordNotFoundError } from './persistence-errors';

@Injectable()
export class TypeormHostKeyPinning extends HostKeyPinning {
  constructor(private readonly dataSource: DataSource) {
    super();
  }

  /**
   * Trust on first use: writes the fingerprint only while none is stored, so of two first connections
   * racing, one wins and the other must have seen the same key — or it is refused.
   */
  async pin(serverId: number, fingerprint: string): Promise<void> {
    const servers = this.dataSource.getRepository(ServerEntity);
    const result = await servers.update(
      { id: serverId, hostKeyFingerprint: IsNull() },
      { hostKeyFingerprint: fingerprint },
    );
    if (result.affected) return;
    const server = await servers.findOne({
      where: { id: serverId },
      select: { id: true, name: true, hostKeyFingerprint: true },
    });
    if (!server) throw new RecordNotFoundError('server', serverId);
    if (server.hostKeyFingerprint !== fingerprint) {
      throw new RemoteConnectionError(
        server.name,
        `host key of ${server.name} is ${fingerprint} but ${server.hostKeyFingerprint} was pinned meanwhile; refusing it`,
      );
    }
  }
}
