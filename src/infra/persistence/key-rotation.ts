import type { DataSource, EntityManager } from 'typeorm';
import {
  applicationSecretEnvRow,
  decryptSecret,
  encryptSecret,
  keyId,
  sealedKeyId,
  SecretBoxError,
  type SecretRow,
  serverPrivateKeyRow,
} from '../../common/crypto/secret-box';

/** Why a rotation was refused; it names rows and key ids, never a secret. Nothing was changed. */
export class KeyRotationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KeyRotationError';
  }
}

export interface RotationCounts {
  /** Server private keys re-encrypted. */
  servers: number;
  /** Applications whose secret env was re-encrypted. */
  applications: number;
}

interface SealedColumn {
  table: 'servers' | 'applications';
  column: 'private_key_encrypted' | 'secret_env_encrypted';
  row: (id: number) => SecretRow;
}

const SEALED_COLUMNS: SealedColumn[] = [
  { table: 'servers', column: 'private_key_encrypted', row: serverPrivateKeyRow },
  { table: 'applications', column: 'secret_env_encrypted', row: applicationSecretEnvRow },
];

/**
 * Re-encrypts every stored secret (servers' private keys, applications' secret env) from `currentKey` to
 * `newKey` in one transaction, with both tables locked against writers. Every value is opened before
 * anything is written: one that opens with neither key fails the whole rotation, naming its row. A value
 * already sealed with `newKey` (a rotation run again after processes still on the old key wrote rows) is
 * left as it is.
 */
export async function rotateAppKey(
  dataSource: DataSource,
  currentKey: Buffer,
  newKey: Buffer,
): Promise<RotationCounts> {
  for (const [name, key] of [
    ['APP_KEY', currentKey],
    ['NEW_APP_KEY', newKey],
  ] as const) {
    if (key.length !== 32) throw new KeyRotationError(`${name} must be 32 bytes, got ${key.length}`);
  }
  if (currentKey.equals(newKey)) {
    throw new KeyRotationError('NEW_APP_KEY is the same as APP_KEY: choose a new key to rotate to');
  }
  return dataSource.transaction(async (manager) => {
    await manager.query('LOCK TABLE servers, applications IN SHARE ROW EXCLUSIVE MODE');
    // Everything is opened before anything is written.
    const resealed: Resealed[] = [];
    for (const column of SEALED_COLUMNS)
      resealed.push(await resealColumn(manager, column, currentKey, newKey));
    for (const { column, rows } of resealed) {
      for (const { id, sealed } of rows) {
        await manager.query(`UPDATE ${column.table} SET ${column.column} = $1 WHERE id = $2`, [sealed, id]);
      }
    }
    const count = (table: SealedColumn['table']) =>
      resealed.filter(({ column }) => column.table === table).reduce((sum, { rows }) => sum + rows.length, 0);
    return { servers: count('servers'), applications: count('applications') };
  });
}

interface Resealed {
  column: SealedColumn;
  rows: Array<{ id: number; sealed: string }>;
}

async function resealColumn(
  manager: EntityManager,
  column: SealedColumn,
  currentKey: Buffer,
  newKey: Buffer,
): Promise<Resealed> {
  const stored: Array<{ id: number; sealed: string }> = await manager.query(
    `SELECT id, ${column.column} AS sealed FROM ${column.table}
      WHERE ${column.column} IS NOT NULL ORDER BY id FOR UPDATE`,
  );
  const rows: Resealed['rows'] = [];
  for (const { id, sealed } of stored) {
    const row = column.row(id);
    if (sealedKeyId(sealed) === keyId(newKey) && opens(sealed, newKey, row)) continue;
    let plaintext: string;
    try {
      plaintext = decryptSecret(sealed, currentKey, row);
    } catch (error) {
      const why = error instanceof SecretBoxError ? error.message : 'it cannot be decrypted';
      throw new KeyRotationError(
        `${column.table} row ${id} (${column.column}) cannot be decrypted with APP_KEY (key ${keyId(currentKey)}): ${why}. Nothing was changed.`,
      );
    }
    rows.push({ id, sealed: encryptSecret(plaintext, newKey, row) });
  }
  return { column, rows };
}

function opens(sealed: string, key: Buffer, row: SecretRow): boolean {
  try {
    decryptSecret(sealed, key, row);
    return true;
  } catch {
    return false;
  }
}
