import { createCipheriv, randomBytes } from 'node:crypto';
import { ApplicationEntity } from '../../../src/applications/application.entity';
import type { AppConfig } from '../../../src/config/app-config';
import { KeyRotationError, rotateAppKey } from '../../../src/infra/persistence/key-rotation';
import {
  applicationSecretEnvRow,
  decryptSecret,
  encryptSecret,
  keyId,
  serverPrivateKeyRow,
} from '../../../src/common/crypto/secret-box';
import { TypeormRolloutStore } from '../../../src/infra/persistence/typeorm-rollout-store';
import { ServerEntity } from '../../../src/servers/server.entity';
import { defined } from '../../support/defined';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { Fixtures, testPrivateKey } from '../support/fixtures';
import { queryRow, queryRows } from '../support/sql';

const SECRET_ENV = { DB_PASSWORD: 'hunter2-db-password', API_TOKEN: 'tok_live_0123456789' };

/** A value as written before ciphertexts were bound to rows: `v1:<iv>:<tag>:<ciphertext>`. */
function sealV1(plaintext: string, key: Buffer): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: 16 });
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return ['v1', iv, cipher.getAuthTag(), ciphertext].map((part) => part.toString('base64')).join(':');
}

interface ServerRow {
  id: number;
  private_key_encrypted: string;
}

interface ApplicationRow {
  id: number;
  secret_env_encrypted: string | null;
  secret_env_keys: string[];
}

interface Stored {
  servers: ServerRow[];
  applications: ApplicationRow[];
}

describe('stored secrets: row-bound ciphertexts and APP_KEY rotation', () => {
  let db: TestDatabase;
  let key: Buffer;
  let fixtures: Fixtures;

  beforeEach(async () => {
    db = await createTestDatabase();
    key = randomBytes(32);
    fixtures = new Fixtures(db.dataSource, key);
  }, 30_000);
  afterEach(() => db?.drop());

  const storeWith = (appKey: Buffer) => new TypeormRolloutStore(db.dataSource, { appKey } as AppConfig);

  async function stored(): Promise<Stored> {
    return {
      servers: await queryRows<ServerRow>(
        db.dataSource,
        'SELECT id, private_key_encrypted FROM servers ORDER BY id',
      ),
      applications: await queryRows<ApplicationRow>(
        db.dataSource,
        'SELECT id, secret_env_encrypted, secret_env_keys FROM applications ORDER BY id',
      ),
    };
  }

  /** Two servers, an application with secret env on both, and a queued deployment of it. */
  async function scenario(withKey = key) {
    const team = await fixtures.team();
    const web1 = await fixtures.server(team.id, { name: 'web-1' });
    const web2 = await fixtures.server(team.id, { name: 'web-2' });
    const app = await fixtures.application(team.id, [web1.id, web2.id]);
    await setSecretEnv(
      app.id,
      encryptSecret(JSON.stringify(SECRET_ENV), withKey, applicationSecretEnvRow(app.id)),
    );
    const other = await fixtures.application(team.id, [web1.id]);
    const deployment = await fixtures.deployment(app.id, { status: 'queued' });
    return { team, web1, web2, app, other, deployment };
  }

  function setSecretEnv(applicationId: number, sealed: string) {
    return db.dataSource
      .getRepository(ApplicationEntity)
      .update(applicationId, { secretEnvEncrypted: sealed, secretEnvKeys: Object.keys(SECRET_ENV).sort() });
  }

  async function failureOf(promise: Promise<unknown>): Promise<Error> {
    return promise.then(
      () => {
        throw new Error('expected a failure');
      },
      (error: Error) => error,
    );
  }

  it('stores no plaintext: v2 ciphertexts naming the key id, and the store decrypts them for the worker', async () => {
    const s = await scenario();
    const rows = await stored();
    const dump = JSON.stringify(rows);
    for (const value of [...Object.values(SECRET_ENV), 'PRIVATE KEY', 'web-1'])
      expect(dump).not.toContain(value);
    for (const sealed of [
      ...rows.servers.map((r) => r.private_key_encrypted),
      rows.applications[0]?.secret_env_encrypted,
    ]) {
      expect(sealed).toMatch(new RegExp(`^v2:${keyId(key)}:`));
    }
    expect(rows.applications.map((r) => r.secret_env_keys)).toEqual([['API_TOKEN', 'DB_PASSWORD'], []]);

    const context = await storeWith(key).loadContext(s.deployment.id);
    expect(context.application.secretEnv).toEqual(SECRET_ENV);
    expect(context.servers.map((server) => server.privateKey)).toEqual([
      testPrivateKey('web-1'),
      testPrivateKey('web-2'),
    ]);
  });

  it('refuses a private key moved to another server row, naming the row and never the key', async () => {
    const s = await scenario();
    const first = defined((await stored()).servers[0], 'a server row');
    await db.dataSource
      .getRepository(ServerEntity)
      .update(s.web2.id, { privateKeyEncrypted: first.private_key_encrypted });
    const error = await failureOf(storeWith(key).loadContext(s.deployment.id));
    expect(error.message).toBe(
      `cannot read the private key of server "web-2" (id ${s.web2.id}): encrypted secret of servers:${s.web2.id}:private_key cannot be decrypted: it was sealed for another row, or the data was altered`,
    );
    expect(error.message).not.toContain('PRIVATE KEY');
  });

  it('refuses secret env moved to another application, naming it and never a value', async () => {
    const s = await scenario();
    const sealed = (await stored()).applications[0]?.secret_env_encrypted;
    if (!sealed) throw new Error('expected the secret env of the first application');
    await setSecretEnv(s.other.id, sealed);
    const moved = await fixtures.deployment(s.other.id, { status: 'queued' });
    const error = await failureOf(storeWith(key).loadContext(moved.id));
    expect(error.message).toBe(
      `cannot read the secret env of application "${s.other.name}" (id ${s.other.id}): encrypted secret of applications:${s.other.id}:secret_env cannot be decrypted: it was sealed for another row, or the data was altered`,
    );
    for (const value of Object.values(SECRET_ENV)) expect(error.message).not.toContain(value);
  });

  it('names both key ids when the worker runs with another APP_KEY', async () => {
    const s = await scenario();
    const wrong = randomBytes(32);
    const error = await failureOf(storeWith(wrong).loadContext(s.deployment.id));
    expect(error.message).toContain(
      `it was encrypted with key ${keyId(key)} but APP_KEY is key ${keyId(wrong)}`,
    );
  });

  it('keeps reading v1 values of existing databases', async () => {
    const s = await scenario();
    await db.dataSource
      .getRepository(ServerEntity)
      .update(s.web1.id, { privateKeyEncrypted: sealV1(testPrivateKey('legacy'), key) });
    await setSecretEnv(s.app.id, sealV1(JSON.stringify(SECRET_ENV), key));
    const context = await storeWith(key).loadContext(s.deployment.id);
    expect(context.servers[0]?.privateKey).toBe(testPrivateKey('legacy'));
    expect(context.application.secretEnv).toEqual(SECRET_ENV);
  });

  it('rotates APP_KEY: every secret (v1 ones included) re-encrypted as v2 under the new key, the old key no longer works', async () => {
    const s = await scenario();
    await db.dataSource
      .getRepository(ServerEntity)
      .update(s.web2.id, { privateKeyEncrypted: sealV1(testPrivateKey('web-2'), key) });
    const next = randomBytes(32);

    expect(await rotateAppKey(db.dataSource, key, next)).toEqual({ servers: 2, applications: 1 });

    const rows = await stored();
    for (const sealed of [
      ...rows.servers.map((r) => r.private_key_encrypted),
      rows.applications[0]?.secret_env_encrypted,
    ]) {
      expect(sealed).toMatch(new RegExp(`^v2:${keyId(next)}:`));
    }
    expect(rows.applications[1]?.secret_env_encrypted).toBeNull();
    const context = await storeWith(next).loadContext(s.deployment.id);
    expect(context.application.secretEnv).toEqual(SECRET_ENV);
    expect(context.servers.map((server) => server.privateKey)).toEqual([
      testPrivateKey('web-1'),
      testPrivateKey('web-2'),
    ]);
    await expect(storeWith(key).loadContext(s.deployment.id)).rejects.toThrow(/APP_KEY differs/);
    const web1 = defined(rows.servers[0], 'the row of web-1');
    expect(() => decryptSecret(web1.private_key_encrypted, key, serverPrivateKeyRow(s.web1.id))).toThrow(
      `it was encrypted with key ${keyId(next)} but APP_KEY is key ${keyId(key)}`,
    );
  });

  it('changes nothing when one row cannot be decrypted with the current key, naming that row only', async () => {
    const s = await scenario();
    const stranger = randomBytes(32);
    await db.dataSource.getRepository(ServerEntity).update(s.web2.id, {
      privateKeyEncrypted: encryptSecret('STRANGER-KEY', stranger, serverPrivateKeyRow(s.web2.id)),
    });
    const before = await stored();

    const error = await failureOf(rotateAppKey(db.dataSource, key, randomBytes(32)));

    expect(error).toBeInstanceOf(KeyRotationError);
    expect(error.message).toBe(
      `servers row ${s.web2.id} (private_key_encrypted) cannot be decrypted with APP_KEY (key ${keyId(key)}): encrypted secret of servers:${s.web2.id}:private_key cannot be decrypted: it was encrypted with key ${keyId(stranger)} but APP_KEY is key ${keyId(key)} (APP_KEY differs from the one that encrypted it). Nothing was changed.`,
    );
    expect(error.message).not.toMatch(/STRANGER-KEY|PRIVATE KEY|hunter2/);
    expect(await stored()).toEqual(before);
  });

  it('rolls everything back when a write fails midway', async () => {
    await scenario();
    const before = await stored();
    // The second UPDATE (an application) fails: the servers already re-encrypted must come back too.
    await db.dataSource.query(`
      CREATE FUNCTION refuse_update() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'refused for the test'; END $$`);
    await db.dataSource.query(
      'CREATE TRIGGER refuse BEFORE UPDATE ON applications FOR EACH ROW EXECUTE FUNCTION refuse_update()',
    );
    await expect(rotateAppKey(db.dataSource, key, randomBytes(32))).rejects.toThrow('refused for the test');
    expect(await stored()).toEqual(before);
  });

  it('refuses the same key or a key of the wrong length before touching anything', async () => {
    await scenario();
    const before = await stored();
    await expect(rotateAppKey(db.dataSource, key, Buffer.from(key))).rejects.toThrow(
      'NEW_APP_KEY is the same as APP_KEY',
    );
    await expect(rotateAppKey(db.dataSource, key, randomBytes(16))).rejects.toThrow(
      'NEW_APP_KEY must be 32 bytes, got 16',
    );
    expect(await stored()).toEqual(before);
  });

  it('run again, re-encrypts only what is still under the old key (rows written by processes not yet restarted)', async () => {
    const s = await scenario();
    const next = randomBytes(32);
    await rotateAppKey(db.dataSource, key, next);
    const late = await fixtures.server(s.team.id, { name: 'late' }); // an API still on the old key
    const rotated = await stored();

    expect(await rotateAppKey(db.dataSource, key, next)).toEqual({ servers: 1, applications: 0 });

    const after = await stored();
    expect(after.servers.filter((r) => r.id !== late.id)).toEqual(
      rotated.servers.filter((r) => r.id !== late.id),
    );
    expect(after.applications).toEqual(rotated.applications);
    const lateRow = after.servers.find((r) => r.id === late.id);
    expect(decryptSecret(lateRow!.private_key_encrypted, next, serverPrivateKeyRow(late.id))).toBe(
      testPrivateKey('late'),
    );
  });

  it('waits for a server being inserted meanwhile and re-encrypts it too', async () => {
    const s = await scenario();
    const runner = db.dataSource.createQueryRunner();
    await runner.connect();
    try {
      await runner.startTransaction();
      const inserted = (await runner.query(
        `INSERT INTO servers (team_id, name, host, private_key_encrypted) VALUES ($1, 'meanwhile', '10.0.0.9', '')
         RETURNING id`,
        [s.team.id],
      )) as { id: number }[];
      const { id } = defined(inserted[0], 'the inserted server');
      const sealed = encryptSecret(testPrivateKey('meanwhile'), key, serverPrivateKeyRow(id));
      await runner.query('UPDATE servers SET private_key_encrypted = $1 WHERE id = $2', [sealed, id]);
      let settled = false;
      const next = randomBytes(32);
      const rotation = rotateAppKey(db.dataSource, key, next).finally(() => (settled = true));
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(settled).toBe(false);
      await runner.commitTransaction();
      expect(await rotation).toEqual({ servers: 3, applications: 1 });
      const row = await queryRow<ServerRow>(
        db.dataSource,
        'SELECT private_key_encrypted FROM servers WHERE id = $1',
        [id],
      );
      expect(decryptSecret(row.private_key_encrypted, next, serverPrivateKeyRow(id))).toBe(
        testPrivateKey('meanwhile'),
      );
    } finally {
      await runner.release();
    }
  });
});
