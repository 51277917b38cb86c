import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { normalizeFingerprint, openSshFingerprint } from './host-key';

describe('openSshFingerprint', () => {
  it('matches what ssh-keygen -lf prints for the same key', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fingerprint-'));
    try {
      execFileSync('ssh-keygen', ['-t', 'ed25519', '-N', '', '-q', '-f', join(dir, 'key')]);
      // `ssh-ed25519 <base64 blob> <comment>`
      const [, base64] = readFileSync(join(dir, 'key.pub'), 'utf8').split(' ');
      if (base64 === undefined) throw new Error('key.pub has no key blob');
      const blob = Buffer.from(base64, 'base64');
      const printed = execFileSync('ssh-keygen', ['-lf', join(dir, 'key.pub')], { encoding: 'utf8' }).split(
        ' ',
      )[1];
      expect(openSshFingerprint(blob)).toBe(printed);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('is SHA256: and unpadded base64 of the blob digest', () => {
    // sha256("abc") = ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad
    expect(openSshFingerprint(Buffer.from('abc'))).toBe('SHA256:ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0');
  });
});

describe('normalizeFingerprint', () => {
  it.each([
    ['SHA256:abc', 'SHA256:abc'],
    ['abc', 'SHA256:abc'],
    ['SHA256:abc=', 'SHA256:abc'],
    ['  sha256:abc  ', 'SHA256:abc'],
    ['', null],
    [null, null],
  ])('normalizes %j to %j', (input, expected) => {
    expect(normalizeFingerprint(input)).toBe(expected);
  });
});
