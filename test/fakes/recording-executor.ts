import { shellJoin } from '../../src/rollout/commands/shell';
import type { ServerTarget } from '../../src/rollout/domain';
import { CommandResult, RemoteCommand, RemoteConnectionError, RemoteExecutor } from '../../src/rollout/ports';

export interface RecordedCommand {
  server: string;
  line: string;
  stdin?: string;
}

type Reply = Partial<CommandResult> | RemoteConnectionError;
export type Responder = (server: ServerTarget, line: string, command: RemoteCommand) => Reply | undefined;

/** Records every command as `server: shell line` and answers from scripted responders (default: exit 0). */
export class RecordingExecutor extends RemoteExecutor {
  readonly commands: RecordedCommand[] = [];
  private readonly responders: Responder[] = [];

  /** Answers commands whose shell line matches `pattern` (on `server` when given) with `reply`. */
  when(pattern: RegExp | string, reply: Reply | ((line: string) => Reply), server?: string): this {
    this.responders.push((target, line) => {
      if (server !== undefined && target.name !== server) return undefined;
      const matches = typeof pattern === 'string' ? line.includes(pattern) : pattern.test(line);
      if (!matches) return undefined;
      return typeof reply === 'function' ? reply(line) : reply;
    });
    return this;
  }

  /** Adds a responder that sees every command (later responders win). */
  use(responder: Responder): this {
    this.responders.push(responder);
    return this;
  }

  /** How many times `run` was called: a sequence is one exec, however many commands it holds. */
  execs = 0;

  /**
   * Records and answers each command; a sequence (`inSequence`) step by step, each recorded as its own
   * line, up to the first that fails, like `sh -c 'a && b'` on a server.
   */
  async run(server: ServerTarget, command: RemoteCommand): Promise<CommandResult> {
    this.execs++;
    const steps = command.steps?.map((argv) => ({ argv: [...argv] })) ?? [command];
    let result: CommandResult = { exitCode: 0, stdout: '', stderr: '' };
    for (const step of steps) {
      result = await this.runOne(server, step);
      if (result.exitCode !== 0) break;
    }
    return result;
  }

  private runOne(server: ServerTarget, command: RemoteCommand): Promise<CommandResult> {
    const line = shellJoin(command.argv);
    this.commands.push({
      server: server.name,
      line,
      ...(command.stdin !== undefined ? { stdin: command.stdin } : {}),
    });
    // The responder added last answers first.
    for (const responder of [...this.responders].reverse()) {
      const reply = responder(server, line, command);
      if (reply === undefined) continue;
      if (reply instanceof RemoteConnectionError) return Promise.reject(reply);
      return Promise.resolve({ exitCode: 0, stdout: '', stderr: '', ...reply });
    }
    return Promise.resolve({ exitCode: 0, stdout: '', stderr: '' });
  }

  async release(): Promise<void> {}

  /**
   * The lines that could change what the server runs: everything but the capacity check and `docker pull`,
   * which a batch may send ahead, while the batch before it is swapped.
   */
  changes(server: string): string[] {
    return this.lines(server).filter(
      (line) => !line.startsWith(`${server}: docker pull `) && !line.includes('/proc/meminfo'),
    );
  }

  /** The recorded lines as `server: line`, for exact comparisons. */
  lines(server?: string): string[] {
    return this.commands
      .filter((c) => server === undefined || c.server === server)
      .map((c) => `${c.server}: ${c.line}`);
  }
}
