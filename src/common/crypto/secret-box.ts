import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';

const ALGORITHM = 'aes-256-gcm';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const KEY_ID = /^[0-9a-f]{8}$/;
const KEY_ID_LABEL = 'rollout secret-box key id v1';

/** Raised when a stored secret cannot be sealed or opened; the message never contains any part of the secret. */
export class SecretBoxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SecretBoxError';
  }
}

/**
 * Where a ciphertext lives: `<table>:<row id>:<column>`. It is the additional authenticated data, so a
 * ciphertext copied to another row (or column) no longer opens.
 */
export type SecretRow = `${string}:${number}:${string}`;

export function serverPrivateKeyRow(serverId: number): SecretRow {
  return `servers:${rowId(serverId)}:private_key`;
}

export function applicationSecretEnvRow(applicationId: number): SecretRow {
  return `applications:${rowId(applicationId)}:secret_env`;
}

function rowId(id: number): number {
  if (!Number.isSafeInteger(id) || id < 1)
    throw new SecretBoxError(`a secret's row id must be positive, got ${id}`);
  return id;
}

function checkKey(key: Buffer): void {
  if (key.length !== 32) throw new SecretBoxError(`APP_KEY must be 32 bytes, got ${key.length}`);
}

/**
 * A short public fingerprint of a key (8 hex digits of an HMAC under a fixed label): it tells which key
 * sealed a value without revealing anything usable about the key.
 */
export function keyId(key: Buffer): string {
  checkKey(key);
  return createHmac('sha256', key).update(KEY_ID_LABEL).digest('hex').slice(0, 8);
}

/**
 * AES-256-GCM with a fresh random IV, bound to its row:
 * `v2:<key id>:<iv b64>:<tag b64>:<ciphertext b64>`.
 */
export function encryptSecret(plaintext: string, key: Buffer, row: SecretRow): string {
  checkKey(key);
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv(ALGORITHM, key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(row, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  const tag = cipher.getAuthTag();
  return [
    'v2',
    keyId(key),
    iv.toString('base64'),
    tag.toString('base64'),
    ciphertext.toString('base64'),
  ].join(':');
}

/** The key id a sealed value names (null for a `v1:` value, which carries none). */
export function sealedKeyId(sealed: string): string | null {
  const [version, id] = sealed.split(':');
  return version === 'v2' && id !== undefined && KEY_ID.test(id) ? id : null;
}

/**
 * Opens a value sealed by `encryptSecret` for the same row, or a `v1:<iv>:<tag>:<ciphertext>` value written
 * before ciphertexts were bound to rows (those carry no row and no key id).
 */
export function decryptSecret(sealed: string, key: Buffer, row: SecretRow): string {
  checkKey(key);
  // split always yields a first part; the fields after it are checked by count below.
  const [version = '', ...fields] = sealed.split(':');
  if (version === 'v1') {
    const [iv, tag, ciphertext] = fields;
    if (fields.length !== 3 || iv === undefined || tag === undefined || ciphertext === undefined) {
      throw new SecretBoxError('encrypted secret is malformed: expected v1:<iv>:<tag>:<ciphertext>');
    }
    const plaintext = open(iv, tag, ciphertext, key, null);
    if (plaintext === null) {
      throw new SecretBoxError(
        'encrypted secret cannot be decrypted: APP_KEY differs from the one that encrypted it, or the data was altered',
      );
    }
    return plaintext;
  }
  if (version === 'v2') {
    const [sealedBy, iv, tag, ciphertext] = fields;
    if (
      fields.length !== 4 ||
      sealedBy === undefined ||
      iv === undefined ||
      tag === undefined ||
      ciphertext === undefined
    ) {
      throw new SecretBoxError('encrypted secret is malformed: expected v2:<key id>:<iv>:<tag>:<ciphertext>');
    }
    if (!KEY_ID.test(sealedBy)) {
      throw new SecretBoxError('encrypted secret is malformed: the key id is not 8 hex digits');
    }
    const current = keyId(key);
    if (sealedBy !== current) {
      throw new SecretBoxError(
        `encrypted secret of ${row} cannot be decrypted: it was encrypted with key ${sealedBy} but APP_KEY is key ${current} (APP_KEY differs from the one that encrypted it)`,
      );
    }
    const plaintext = open(iv, tag, ciphertext, key, row);
    if (plaintext === null) {
      throw new SecretBoxError(
        `encrypted secret of ${row} cannot be decrypted: it was sealed for another row, or the data was altered`,
      );
    }
    return plaintext;
  }
  throw new SecretBoxError(
    `encrypted secret has an unknown version ${JSON.stringify(version.slice(0, 8))} (expected v1 or v2)`,
  );
}

/** The plaintext, or null when authentication fails (wrong key, wrong row or altered data). */
function open(
  ivPart: string,
  tagPart: string,
  ciphertextPart: string,
  key: Buffer,
  row: SecretRow | null,
): string | null {
  const iv = decodePart(ivPart, 'iv', IV_BYTES);
  const tag = decodePart(tagPart, 'authentication tag', TAG_BYTES);
  const ciphertext = decodePart(ciphertextPart, 'ciphertext');
  const decipher = createDecipheriv(ALGORITHM, key, iv, { authTagLength: TAG_BYTES });
  if (row !== null) decipher.setAAD(Buffer.from(row, 'utf8'));
  decipher.setAuthTag(tag);
  try {
    return Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString('utf8');
  } catch {
    return null;
  }
}

function decodePart(part: string, what: string, bytes?: number): Buffer {
  if (!BASE64.test(part) || part.length % 4 !== 0) {
    throw new SecretBoxError(`encrypted secret is malformed: the ${what} is not base64`);
  }
  const decoded = Buffer.from(part, 'base64');
  if (bytes !== undefined && decoded.length !== bytes) {
    throw new SecretBoxError(`encrypted secret is malformed: the ${what} must be ${bytes} bytes`);
  }
  return decoded;
}
