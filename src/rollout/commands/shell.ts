import type { RemoteCommand } from '../ports/remote-executor.port';

/**
 * The one quoting point: every remote command is an argv array turned into one POSIX shell line here.
 * Words made only of safe characters stay bare so command lines remain readable in logs and tests.
 */
const SAFE_WORD = /^[A-Za-z0-9_@%+=:,./-]+$/;
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * sshd runs a command as one argument of `$SHELL -c`, and Linux refuses an argument of more than 128 KiB
 * (MAX_ARG_STRLEN, its terminating NUL included): a longer line could only fail on the server.
 */
export const MAX_COMMAND_LINE_BYTES = 128 * 1024 - 1;

export function shellQuote(word: string): string {
  if (word.includes('\0')) throw new Error('a shell word cannot contain a NUL byte');
  // A lone surrogate has no UTF-8 encoding: it would arrive as U+FFFD, not as given.
  if (LONE_SURROGATE.test(word)) throw new Error('a shell word must be valid Unicode (no lone surrogate)');
  if (word !== '' && SAFE_WORD.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

export function shellJoin(argv: readonly string[]): string {
  if (argv.length === 0) throw new Error('a command needs at least one word');
  const line = argv.map(shellQuote).join(' ');
  const bytes = Buffer.byteLength(line, 'utf8');
  if (bytes > MAX_COMMAND_LINE_BYTES)
    throw new Error(`a command line cannot exceed ${MAX_COMMAND_LINE_BYTES} bytes (this one has ${bytes})`);
  return line;
}

/**
 * Several commands in one exec, each quoted by `shellJoin`, run in order up to the first that fails
 * (`&&`): one SSH round trip instead of one per command. The exit status and output are the failing
 * command's (or the last one's). A command that reads stdin cannot be part of a sequence.
 */
export function inSequence(commands: readonly RemoteCommand[]): RemoteCommand {
  const line = sequenceLine(commands);
  return line === null
    ? (commands[0] as RemoteCommand)
    : { argv: ['sh', '-c', line], steps: commands.map((c) => c.argv) };
}

/** Whether `commands` fit in one exec: the `sh -c` line within MAX_COMMAND_LINE_BYTES once quoted again. */
export function fitsInSequence(commands: readonly RemoteCommand[]): boolean {
  try {
    const line = sequenceLine(commands);
    if (line !== null) shellJoin(['sh', '-c', line]);
    return true;
  } catch {
    return false;
  }
}

/** The `&&` line of several commands; null for a single one (it needs no sequence). */
function sequenceLine(commands: readonly RemoteCommand[]): string | null {
  if (commands.length === 0) throw new Error('a sequence needs at least one command');
  if (commands.length === 1) return null;
  if (commands.some((command) => command.stdin !== undefined || command.steps !== undefined))
    throw new Error('a sequence takes only plain commands without stdin');
  return commands.map((command) => shellJoin(command.argv)).join(' && ');
}
