/** The `rollout` command's exit codes (docs/cli.md lists them). */
export const EXIT = {
  ok: 0,
  /** The watched deployment ended in a status other than `completed`. */
  deploymentNotCompleted: 1,
  /** Unknown command or option, a bad value, no login. */
  usage: 2,
  /** The API answered with an error status. */
  api: 3,
  /** The API (or its socket.io endpoint) could not be reached or did not answer as the Rollout API. */
  unreachable: 4,
  /** The rollout was not started: the question was answered no, or could not be asked. */
  notConfirmed: 5,
  /** A bug in the client: an unexpected error. */
  internal: 70,
  /** Interrupted (Ctrl-C) while waiting. */
  interrupted: 130,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** A failure the command reports as one `error: …` line on stderr, with its exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode,
  ) {
    super(message);
  }
}

export class UsageError extends CliError {
  constructor(message: string) {
    super(message, EXIT.usage);
  }
}

/** An HTTP error answer of the API: its status, short name and message. */
export class ApiError extends CliError {
  constructor(
    readonly status: number,
    readonly apiMessage: string,
    what: string,
  ) {
    super(`${what} answered ${status}${apiMessage === '' ? '' : `: ${apiMessage}`}`, EXIT.api);
  }
}

export class UnreachableError extends CliError {
  constructor(message: string) {
    super(message, EXIT.unreachable);
  }
}

/** Any text as one line: a multi-line message (a remote command's output) would break `error: …` parsing. */
export function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, ' ').trim();
}

/** Anything shaped like an API token (`rlt_` and its secret) is shown as `rlt_…`, wherever it came from. */
export function redactTokens(text: string): string {
  return text.replace(/rlt_[A-Za-z0-9_-]+/g, 'rlt_…');
}
