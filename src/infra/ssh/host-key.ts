import { createHash } from 'node:crypto';

/** The fingerprint OpenSSH prints for a host key: `SHA256:` and the unpadded base64 of the key blob's SHA-256. */
export function openSshFingerprint(keyBlob: Buffer): string {
  return `SHA256:${createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '')}`;
}

/** Accepts a stored fingerprint with or without the `SHA256:` prefix or base64 padding. */
export function normalizeFingerprint(fingerprint: string | null | undefined): string | null {
  if (fingerprint === null || fingerprint === undefined) return null;
  const trimmed = fingerprint.trim();
  if (trimmed === '') return null;
  const body = trimmed.replace(/^SHA256:/i, '').replace(/=+$/, '');
  return `SHA256:${body}`;
}
