import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const VERSION = 'v1';
const ALGORITHM = 'aes-256-gcm';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Raised when a stored secret cannot be opened; the message never contains any part of the secret. */
export class SecretBoxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SecretBoxError';
  }
}

function checkKey(key: Buffer): void {
  if (key.length !== 32) throw new SecretBoxError(`APP_KEY must be 32 bytes, got ${key.length}`);
}

/** AES-256-GCM with a fresh random IV: `v1:<iv b64>:<tag b64>:<ciphertext b64>`. */
export function encryptSecret(plaintext: string, key: Buffer): string {
  checkKey(key);
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv(ALGORITHM, key, iv, { authTagLength: TAG_BYTES });
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  const tag = cipher.getAuthTag();
  return [VERSION, iv.toString('base64'), tag.toString('base64'), ciphertext.toString('base64')].join(':');
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

export function decryptSecret(sealed: string, key: Buffer): string {
  checkKey(key);
  const parts = sealed.split(':');
  if (parts.length !== 4) {
    throw new SecretBoxError('encrypted secret is malformed: expected v1:<iv>:<tag>:<ciphertext>');
  }
  const [version, ivPart, tagPart, ciphertextPart] = parts;
  if (version !== VERSION) throw new SecretBoxError(`encrypted secret has an unknown version "${version}"`);
  const iv = decodePart(ivPart, 'iv', IV_BYTES);
  const tag = decodePart(tagPart, 'authentication tag', TAG_BYTES);
  const ciphertext = decodePart(ciphertextPart, 'ciphertext');
  const decipher = createDecipheriv(ALGORITHM, key, iv, { authTagLength: TAG_BYTES });
  decipher.setAuthTag(tag);
  try {
    return Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString('utf8');
  } catch {
    throw new SecretBoxError(
      'encrypted secret cannot be decrypted: APP_KEY differs from the one that encrypted it, or the data was altered',
    );
  }
}
