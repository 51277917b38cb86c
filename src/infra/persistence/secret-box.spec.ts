import { randomBytes } from 'node:crypto';
import { decryptSecret, encryptSecret, SecretBoxError } from './secret-box';

const key = Buffer.alloc(32, 7);
const privateKey =
  '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n';

function errorOf(work: () => unknown): Error {
  try {
    work();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected an error');
}

describe('secret box', () => {
  it('round-trips a private key in the v1:<iv>:<tag>:<ciphertext> format', () => {
    const sealed = encryptSecret(privateKey, key);
    expect(sealed).toMatch(/^v1:[A-Za-z0-9+/=]{16}:[A-Za-z0-9+/=]{24}:[A-Za-z0-9+/=]+$/);
    expect(sealed).not.toContain('OPENSSH');
    expect(decryptSecret(sealed, key)).toBe(privateKey);
  });

  it('uses a fresh IV each time', () => {
    const first = encryptSecret(privateKey, key);
    const second = encryptSecret(privateKey, key);
    expect(first.split(':')[1]).not.toBe(second.split(':')[1]);
    expect(first).not.toBe(second);
  });

  it('round-trips the empty string and non-ASCII text', () => {
    expect(decryptSecret(encryptSecret('', key), key)).toBe('');
    expect(decryptSecret(encryptSecret('clé ✓', key), key)).toBe('clé ✓');
  });

  it('refuses another APP_KEY without revealing the plaintext', () => {
    const error = errorOf(() => decryptSecret(encryptSecret(privateKey, key), randomBytes(32)));
    expect(error).toBeInstanceOf(SecretBoxError);
    expect(error.message).toMatch(/APP_KEY differs .* or the data was altered/);
    expect(error.message).not.toContain('OPENSSH');
  });

  it('detects tampering with the ciphertext or the tag', () => {
    const [version, iv, tag, ciphertext] = encryptSecret(privateKey, key).split(':');
    const flipped = Buffer.from(ciphertext, 'base64');
    flipped[0] ^= 1;
    expect(() => decryptSecret([version, iv, tag, flipped.toString('base64')].join(':'), key)).toThrow(
      /data was altered/,
    );
    const otherTag = Buffer.from(tag, 'base64');
    otherTag[3] ^= 1;
    expect(() =>
      decryptSecret([version, iv, otherTag.toString('base64'), ciphertext].join(':'), key),
    ).toThrow(/data was altered/);
  });

  it.each([
    ['not-a-secret', /expected v1:<iv>:<tag>:<ciphertext>/],
    ['v2:AAAAAAAAAAAAAAAA:AAAAAAAAAAAAAAAAAAAAAA==:AAAA', /unknown version "v2"/],
    ['v1:AAAA:AAAAAAAAAAAAAAAAAAAAAA==:AAAA', /iv must be 12 bytes/],
    ['v1:AAAAAAAAAAAAAAAA:AAAA:AAAA', /authentication tag must be 16 bytes/],
    ['v1:AAAAAAAAAAAAAAAA:AAAAAAAAAAAAAAAAAAAAAA==:not base64!', /ciphertext is not base64/],
  ])('explains a malformed value %p', (sealed, message) => {
    expect(() => decryptSecret(sealed, key)).toThrow(message);
  });

  it('requires a 32-byte key', () => {
    expect(() => encryptSecret('x', Buffer.alloc(16))).toThrow('APP_KEY must be 32 bytes, got 16');
    expect(() => decryptSecret('v1:a:b:c', Buffer.alloc(31))).toThrow(SecretBoxError);
  });
});
