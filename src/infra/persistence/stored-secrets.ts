import { DataSource, In } from 'typeorm';
import { ApplicationEntity } from '../../applications/application.entity';
import { applicationSecretEnvRow, decryptSecret, serverPrivateKeyRow } from '../../common/crypto/secret-box';
import type { ServerTarget } from '../../rollout/domain';
import { ServerEntity } from '../../servers/server.entity';
import { RecordNotFoundError } from './persistence-errors';

/** What a rollout needs decrypted: servers with their private keys, an application's secret env. */
export class StoredSecrets {
  constructor(
    private readonly dataSource: DataSource,
    private readonly appKey: Buffer,
  ) {}

  async loadServerTargets(ids: number[]): Promise<Map<number, ServerTarget>> {
    if (ids.length === 0) return new Map();
    const servers = await this.dataSource
      .getRepository(ServerEntity)
      .createQueryBuilder('server')
      .addSelect('server.privateKeyEncrypted')
      .where({ id: In(ids) })
      .getMany();
    return new Map(servers.map((server) => [server.id, this.toServerTarget(server)]));
  }

  /** The application's secret env, decrypted (it lives only in the worker's memory). */
  async loadSecretEnv(app: ApplicationEntity): Promise<Record<string, string>> {
    if (app.secretEnvKeys.length === 0) return {};
    const row = await this.dataSource
      .getRepository(ApplicationEntity)
      .createQueryBuilder('app')
      .select('app.id')
      .addSelect('app.secretEnvEncrypted')
      .where({ id: app.id })
      .getOne();
    if (!row) throw new RecordNotFoundError('application', app.id);
    const fail = (why: string) =>
      new Error(`cannot read the secret env of application "${app.name}" (id ${app.id}): ${why}`);
    if (row.secretEnvEncrypted === null) throw fail('it is missing');
    let parsed: unknown;
    try {
      parsed = JSON.parse(
        decryptSecret(row.secretEnvEncrypted, this.appKey, applicationSecretEnvRow(app.id)),
      );
    } catch (error) {
      // Never the parser's message: it would quote the decrypted text.
      throw fail(error instanceof SyntaxError ? 'it is not JSON' : (error as Error).message);
    }
    if (!isStringMap(parsed)) throw fail('it is not an object of strings');
    return parsed;
  }

  private toServerTarget(server: ServerEntity): ServerTarget {
    let privateKey: string;
    try {
      privateKey = decryptSecret(server.privateKeyEncrypted, this.appKey, serverPrivateKeyRow(server.id));
    } catch (error) {
      throw new Error(
        `cannot read the private key of server "${server.name}" (id ${server.id}): ${(error as Error).message}`,
      );
    }
    return {
      id: server.id,
      name: server.name,
      host: server.host,
      port: server.port,
      user: server.user,
      privateKey,
      hostKeyFingerprint: server.hostKeyFingerprint,
    };
  }
}

function isStringMap(value: unknown): value is Record<string, string> {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    Object.values(value).every((entry) => typeof entry === 'string')
  );
}
