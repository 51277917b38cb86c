import { shellQuote } from '../../rollout/commands/shell';
import type { RemoteCommand } from '../../rollout/ports/remote-executor.port';

const ENV_FLAGS = new Set(['-e', '--env']);
const MAX_SUMMARY = 160;

/**
 * A command as it may appear in an error: environment values masked (they can be secrets), length capped.
 * A sequence is summarised step by step, so a value inside its `sh -c` line is masked too.
 */
export function summarizeCommand(command: RemoteCommand): string {
  const line = (command.steps ?? [command.argv]).map(summarizeWords).join(' && ');
  return line.length > MAX_SUMMARY ? `${line.slice(0, MAX_SUMMARY - 1)}…` : line;
}

function summarizeWords(argv: readonly string[]): string {
  return argv
    .map((word, i) => {
      const previous = argv[i - 1];
      if (previous !== undefined && ENV_FLAGS.has(previous)) return maskEnv(word);
      if (word.startsWith('--env=')) return `--env=${maskEnv(word.slice('--env='.length))}`;
      return shellQuote(word);
    })
    .join(' ');
}

function maskEnv(assignment: string): string {
  const eq = assignment.indexOf('=');
  return eq < 0 ? shellQuote(assignment) : `${shellQuote(assignment.slice(0, eq))}=***`;
}

/** Removes a secret (and any PEM-style private key block) from text that may reach an error message. */
export function redact(text: string, secret: string): string {
  let result = secret.trim() === '' ? text : text.split(secret).join('[redacted]');
  result = result.replace(
    /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z ]*PRIVATE KEY-----|$)/g,
    '[redacted]',
  );
  return result;
}
