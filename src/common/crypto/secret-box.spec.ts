import { createCipheriv, randomBytes } from 'node:crypto';
import {
  applicationSecretEnvRow,
  decryptSecret,
  encryptSecret,
  keyId,
  SecretBoxError,
  sealedKeyId,
  serverPrivateKeyRow,
} from './secret-box';

const key = Buffer.alloc(32, 7);
const otherKey = Buffer.alloc(32, 8);
const row = serverPrivateKeyRow(5);
const privateKey =
  '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n';

/** The five fields of a v2 value: version, key id, iv, tag, ciphertext. */
function v2Fields(sealed: string): [string, string, string, string, string] {
  const [version, id, iv, tag, ciphertext, ...rest] = sealed.split(':');
  if (
    version !== 'v2' ||
    id === undefined ||
    iv === undefined ||
    tag === undefined ||
    ciphertext === undefined
  )
    throw new Error(`not a v2 value: ${sealed}`);
  if (rest.length > 0) throw new Error(`more than five fields: ${sealed}`);
  return [version, id, iv, tag, ciphertext];
}

/** `base64` with the lowest bit of byte `index` flipped. */
function flipBit(base64: string, index: number): string {
  const bytes = Buffer.from(base64, 'base64');
  bytes.writeUInt8(bytes.readUInt8(index) ^ 1, index);
  return bytes.toString('base64');
}

function errorOf(work: () => unknown): Error {
  try {
    work();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected an error');
}

/** A value in the format written before ciphertexts were bound to rows. */
function sealV1(plaintext: string, withKey: Buffer): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', withKey, iv, { authTagLength: 16 });
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return ['v1', iv, cipher.getAuthTag(), ciphertext].map((p) => p.toString('base64')).join(':');
}

describe('secret box', () => {
  it('names rows as <table>:<id>:<column> and refuses ids that are not positive integers', () => {
    expect(serverPrivateKeyRow(5)).toBe('servers:5:private_key');
    expect(applicationSecretEnvRow(12)).toBe('applications:12:secret_env');
    expect(() => serverPrivateKeyRow(0)).toThrow(SecretBoxError);
    expect(() => applicationSecretEnvRow(1.5)).toThrow(SecretBoxError);
  });

  it('round-trips a private key in the v2:<key id>:<iv>:<tag>:<ciphertext> format', () => {
    const sealed = encryptSecret(privateKey, key, row);
    expect(sealed).toMatch(/^v2:[0-9a-f]{8}:[A-Za-z0-9+/=]{16}:[A-Za-z0-9+/=]{24}:[A-Za-z0-9+/=]+$/);
    expect(sealed.split(':')[1]).toBe(keyId(key));
    expect(sealedKeyId(sealed)).toBe(keyId(key));
    expect(sealed).not.toContain('OPENSSH');
    expect(decryptSecret(sealed, key, row)).toBe(privateKey);
  });

  it('derives the key id from the key without revealing it', () => {
    expect(keyId(key)).toMatch(/^[0-9a-f]{8}$/);
    expect(keyId(key)).toBe(keyId(Buffer.alloc(32, 7)));
    expect(keyId(key)).not.toBe(keyId(otherKey));
    // Not a prefix of the key itself, nor of its plain SHA-256.
    expect(key.toString('hex')).not.toContain(keyId(key));
  });

  it('uses a fresh IV each time', () => {
    const first = encryptSecret(privateKey, key, row);
    const second = encryptSecret(privateKey, key, row);
    expect(first.split(':')[2]).not.toBe(second.split(':')[2]);
    expect(first).not.toBe(second);
  });

  it('round-trips the empty string and non-ASCII text', () => {
    expect(decryptSecret(encryptSecret('', key, row), key, row)).toBe('');
    expect(decryptSecret(encryptSecret('clé ✓ 🔑', key, row), key, row)).toBe('clé ✓ 🔑');
  });

  it('refuses a ciphertext moved to another row or column, naming the row, never the secret', () => {
    const sealed = encryptSecret(privateKey, key, row);
    for (const elsewhere of [serverPrivateKeyRow(6), applicationSecretEnvRow(5)]) {
      const error = errorOf(() => decryptSecret(sealed, key, elsewhere));
      expect(error).toBeInstanceOf(SecretBoxError);
      expect(error.message).toBe(
        `encrypted secret of ${elsewhere} cannot be decrypted: it was sealed for another row, or the data was altered`,
      );
    }
  });

  it('refuses another APP_KEY naming both key ids, without revealing the plaintext', () => {
    const error = errorOf(() => decryptSecret(encryptSecret(privateKey, key, row), otherKey, row));
    expect(error).toBeInstanceOf(SecretBoxError);
    expect(error.message).toBe(
      `encrypted secret of servers:5:private_key cannot be decrypted: it was encrypted with key ${keyId(key)} but APP_KEY is key ${keyId(otherKey)} (APP_KEY differs from the one that encrypted it)`,
    );
    expect(error.message).not.toContain('OPENSSH');
    expect(error.message).not.toContain(key.toString('hex'));
  });

  it('detects a forged key id: the tag still has to verify under the real key', () => {
    const [, , iv, tag, ciphertext] = v2Fields(encryptSecret(privateKey, otherKey, row));
    const forged = ['v2', keyId(key), iv, tag, ciphertext].join(':');
    expect(() => decryptSecret(forged, key, row)).toThrow(/sealed for another row, or the data was altered/);
  });

  it('detects tampering with the ciphertext or the tag', () => {
    const [version, id, iv, tag, ciphertext] = v2Fields(encryptSecret(privateKey, key, row));
    expect(() => decryptSecret([version, id, iv, tag, flipBit(ciphertext, 0)].join(':'), key, row)).toThrow(
      /data was altered/,
    );
    expect(() => decryptSecret([version, id, iv, flipBit(tag, 3), ciphertext].join(':'), key, row)).toThrow(
      /data was altered/,
    );
  });

  it('still reads v1 values (no row binding, no key id) so existing databases keep working', () => {
    const sealed = sealV1(privateKey, key);
    expect(sealedKeyId(sealed)).toBeNull();
    expect(decryptSecret(sealed, key, row)).toBe(privateKey);
    expect(decryptSecret(sealed, key, serverPrivateKeyRow(99))).toBe(privateKey);
    const error = errorOf(() => decryptSecret(sealed, otherKey, row));
    expect(error.message).toBe(
      'encrypted secret cannot be decrypted: APP_KEY differs from the one that encrypted it, or the data was altered',
    );
  });

  it.each([
    ['not-a-secret', /unknown version "not-a-se" \(expected v1 or v2\)/],
    ['v3:AAAAAAAAAAAAAAAA:AAAAAAAAAAAAAAAAAAAAAA==:AAAA', /unknown version "v3"/],
    ['v1:AAAA:AAAA', /expected v1:<iv>:<tag>:<ciphertext>/],
    ['v2:AAAAAAAAAAAAAAAA:AAAAAAAAAAAAAAAAAAAAAA==:AAAA', /expected v2:<key id>:<iv>:<tag>:<ciphertext>/],
    ['v2:XYZ:AAAAAAAAAAAAAAAA:AAAAAAAAAAAAAAAAAAAAAA==:AAAA', /key id is not 8 hex digits/],
    ['v1:AAAA:AAAAAAAAAAAAAAAAAAAAAA==:AAAA', /iv must be 12 bytes/],
    ['v1:AAAAAAAAAAAAAAAA:AAAA:AAAA', /authentication tag must be 16 bytes/],
    ['v1:AAAAAAAAAAAAAAAA:AAAAAAAAAAAAAAAAAAAAAA==:not base64!', /ciphertext is not base64/],
  ])('explains a malformed value %p', (sealed, message) => {
    const withCurrentKeyId = sealed.replace('v2:AAAAAAAAAAAAAAAA:', `v2:${keyId(key)}:`);
    expect(() => decryptSecret(sealed, key, row)).toThrow(message);
    expect(() => decryptSecret(withCurrentKeyId, key, row)).toThrow(SecretBoxError);
  });

  it('requires a 32-byte key', () => {
    expect(() => encryptSecret('x', Buffer.alloc(16), row)).toThrow('APP_KEY must be 32 bytes, got 16');
    expect(() => decryptSecret('v1:a:b:c', Buffer.alloc(31), row)).toThrow(SecretBoxError);
    expect(() => keyId(Buffer.alloc(0))).toThrow(SecretBoxError);
  });
});
