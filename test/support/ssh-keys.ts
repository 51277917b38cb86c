import { utils } from 'ssh2';

/**
 * A throwaway ed25519 private key in OpenSSH format that ssh2 can read back. Its generator now and then
 * writes one its own parser refuses (it drops a public key's leading zero bytes, about 1 key in 256:
 * mscdex/ssh2#1390, #1513), which would fail a whole test file at random; such a key is drawn again.
 */
export function usableEd25519Key(passphrase?: string): string {
  for (let attempt = 0; attempt < 50; attempt++) {
    const pair = utils.generateKeyPairSync(
      'ed25519',
      passphrase === undefined ? undefined : { passphrase, cipher: 'aes256-ctr', rounds: 16 },
    );
    const readable =
      !(utils.parseKey(pair.private, passphrase) instanceof Error) &&
      !(utils.parseKey(pair.public) instanceof Error);
    if (readable) return pair.private;
  }
  throw new Error('ssh2 could not generate a readable ed25519 key');
}
