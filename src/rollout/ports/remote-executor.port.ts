import type { ServerTarget } from '../domain';

/** A remote command as data: argv words, quoted in exactly one place (`commands/shell.ts`). */
export interface RemoteCommand {
  argv: string[];
  /** Written to the command's standard input, then closed. */
  stdin?: string;
  /** Overrides the executor's default command timeout. */
  timeoutMs?: number;
  /**
   * Set by `inSequence` (`commands/shell.ts`): the commands `argv` runs one after another in one exec. Error
   * summaries and test fakes read these instead of the `sh -c` line.
   */
  steps?: readonly (readonly string[])[];
}

export interface CommandResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Raised for failures to reach or trust a host (connect, auth, host key, timeout), not for non-zero exits. */
export class RemoteConnectionError extends Error {
  constructor(
    readonly serverName: string,
    message: string,
  ) {
    super(message);
    this.name = 'RemoteConnectionError';
  }
}

export abstract class RemoteExecutor {
  /** Runs one command; resolves with its exit code and output; rejects only with RemoteConnectionError. */
  abstract run(server: ServerTarget, command: RemoteCommand): Promise<CommandResult>;
  /** Closes pooled connections (all, or one server's). */
  abstract release(serverId?: number): Promise<void>;
}

/** Persists a host key seen on first use, when the server was registered without a fingerprint. */
export abstract class HostKeyPinning {
  abstract pin(serverId: number, fingerprint: string): Promise<void>;
}
