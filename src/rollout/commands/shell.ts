/**
 * The one quoting point: every remote command is an argv array turned into one POSIX shell line here.
 * Words made only of safe characters stay bare so command lines remain readable in logs and tests.
 */
const SAFE_WORD = /^[A-Za-z0-9_@%+=:,./-]+$/;

export function shellQuote(word: string): string {
  if (word.includes('\0')) throw new Error('a shell word cannot contain a NUL byte');
  if (word !== '' && SAFE_WORD.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

export function shellJoin(argv: readonly string[]): string {
  if (argv.length === 0) throw new Error('a command needs at least one word');
  return argv.map(shellQuote).join(' ');
}
