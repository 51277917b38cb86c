import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { type ParsedKey, utils } from 'ssh2';

export interface KeyPair {
  /** OpenSSH private key text. */
  privateKey: string;
  parsed: ParsedKey;
}

/**
 * The ed25519 key at `path`, created (mode 0600) when missing or unreadable. Kept across runs, so a
 * server's host key fingerprint stays the same for the same data folder.
 */
export async function loadOrCreateKey(path: string): Promise<KeyPair> {
  const existing = await readFile(path, 'utf8').catch(() => null);
  const parsedExisting = existing === null ? null : parsePrivate(existing);
  if (existing !== null && parsedExisting) return { privateKey: existing, parsed: parsedExisting };
  const { privateKey, parsed } = generateKey();
  await writeFile(path, privateKey, { mode: 0o600 });
  return { privateKey, parsed };
}

/**
 * ssh2's generator now and then writes an ed25519 key its own parser refuses (it drops a public key's
 * leading zero bytes, about 1 key in 256: mscdex/ssh2#1390), so a key is only kept once it parses.
 */
function generateKey(): KeyPair {
  for (let attempt = 0; attempt < 50; attempt++) {
    const { private: privateKey, public: publicKey } = utils.generateKeyPairSync('ed25519');
    const parsed = parsePrivate(privateKey);
    if (parsed && !(utils.parseKey(publicKey) instanceof Error)) return { privateKey, parsed };
  }
  throw new Error('ssh2 could not generate a usable ed25519 key');
}

function parsePrivate(text: string): ParsedKey | null {
  const parsed = utils.parseKey(text) as ParsedKey | ParsedKey[] | Error;
  const key = Array.isArray(parsed) ? parsed[0] : parsed;
  return key && !(key instanceof Error) && key.isPrivateKey() ? key : null;
}

/** As OpenSSH prints it: `SHA256:` and the unpadded base64 of the SHA-256 of the public key blob. */
export function fingerprintOf(key: ParsedKey): string {
  return `SHA256:${createHash('sha256').update(key.getPublicSSH()).digest('base64').replace(/=+$/, '')}`;
}
