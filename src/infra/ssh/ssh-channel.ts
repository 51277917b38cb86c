import { constants } from 'node:os';
import type { Client, ClientChannel } from 'ssh2';
import type { ServerTarget } from '../../rollout/domain';
import type { CommandResult } from '../../rollout/ports/remote-executor.port';
import type { ChannelLimiter } from './channel-limiter';
import { redact } from './command-summary';
import { ChannelOpenError, describe, sshError } from './ssh-errors';

/** The parts of a pooled connection one exec needs. */
export interface ChannelHost {
  client: Client;
  limiter: ChannelLimiter;
  /** Why the connection ended, for commands that were cut off. */
  lastError: string | null;
}

export interface ExecRequest {
  /** The command line, already quoted. */
  line: string;
  stdin: string | undefined;
  /** Counted from the call: waiting for a channel slot is included. */
  timeoutMs: number;
  /** The command as it may appear in an error (secrets masked). */
  summary: string;
  /** Captured stdout and stderr are each cut at this size. */
  maxOutputBytes: number;
}

/**
 * Runs one command on its own channel of `host`: waits for a slot, writes stdin, collects the output.
 * Rejects with ChannelOpenError when no channel could be opened (nothing ran), or with
 * RemoteConnectionError on a timeout (the channel is killed) or a connection lost mid-command.
 */
export function execOnChannel(
  host: ChannelHost,
  server: ServerTarget,
  { line, stdin, timeoutMs, summary, maxOutputBytes }: ExecRequest,
): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const abort = new AbortController();
    let channel: ClientChannel | undefined;
    let release: (() => void) | undefined;
    let settled = false;
    const settle = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      release?.();
      outcome();
    };
    const timer = setTimeout(() => {
      abort.abort();
      if (channel) closeChannel(channel);
      const message = `Command timed out after ${timeoutMs}ms on ${describe(server)}: ${summary}`;
      settle(() => reject(sshError(server, message)));
    }, timeoutMs);

    host.limiter
      .acquire(abort.signal)
      .then((releaseSlot) => {
        release = releaseSlot;
        return openChannel(host.client, line, stdin, maxOutputBytes);
      })
      .then(
        async ({ channel: opened, output }) => {
          if (settled) return closeChannel(opened);
          channel = opened;
          const { exitCode, stdout, stderr } = await output;
          if (exitCode === null) {
            const reason = host.lastError ? ` (${host.lastError})` : '';
            const message = `SSH connection to ${describe(server)} was lost${reason} while running: ${summary}`;
            return settle(() => reject(sshError(server, message)));
          }
          settle(() => resolve({ exitCode, stdout, stderr }));
        },
        (err: Error) => {
          // An abort while waiting for a slot means the timer has already rejected.
          if (!abort.signal.aborted) {
            settle(() => reject(new ChannelOpenError(redact(err.message, server.privateKey))));
          }
        },
      );
  });
}

interface ChannelOutput {
  /** null when the channel closed without an exit status: the connection was lost. */
  exitCode: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Opens an exec channel and starts capturing at once: the exit status can arrive in the same packet batch
 * as the open confirmation, before any later callback could attach listeners.
 */
function openChannel(
  client: Client,
  line: string,
  stdin: string | undefined,
  maxBytes: number,
): Promise<{ channel: ClientChannel; output: Promise<ChannelOutput> }> {
  return new Promise((resolve, reject) => {
    try {
      client.exec(line, (err, channel) => {
        if (err) return reject(err);
        resolve({ channel, output: collectOutput(channel, stdin, maxBytes) });
      });
    } catch (err) {
      // ssh2 throws synchronously when the socket closed after the handshake.
      reject(err instanceof Error ? err : new Error(String(err)));
    }
  });
}

function collectOutput(
  channel: ClientChannel,
  stdin: string | undefined,
  maxBytes: number,
): Promise<ChannelOutput> {
  return new Promise((resolve) => {
    const stdout = new CappedOutput(maxBytes);
    const stderr = new CappedOutput(maxBytes);
    let exitCode: number | null = null;
    channel.on('data', (chunk: Buffer) => stdout.push(chunk));
    channel.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    channel.on('exit', (code: number | null, signalName?: string) => {
      exitCode = typeof code === 'number' ? code : exitCodeOfSignal(signalName);
    });
    channel.on('close', () => resolve({ exitCode, stdout: stdout.text(), stderr: stderr.text() }));
    channel.end(stdin);
  });
}

function exitCodeOfSignal(signalName: string | undefined): number {
  const number = signalName ? constants.signals[`SIG${signalName}` as NodeJS.Signals] : undefined;
  return number === undefined ? 255 : 128 + number;
}

function closeChannel(channel: ClientChannel): void {
  try {
    channel.signal('KILL');
  } catch {
    // The server may not accept signals; closing the channel is what counts.
  }
  channel.close();
}

class CappedOutput {
  private readonly chunks: Buffer[] = [];
  private size = 0;
  private truncated = false;

  constructor(private readonly limit: number) {}

  push(chunk: Buffer): void {
    const room = this.limit - this.size;
    if (room <= 0) {
      this.truncated = true;
      return;
    }
    const kept = chunk.length > room ? chunk.subarray(0, room) : chunk;
    if (kept.length < chunk.length) this.truncated = true;
    this.chunks.push(kept);
    this.size += kept.length;
  }

  text(): string {
    const text = Buffer.concat(this.chunks).toString('utf8');
    return this.truncated ? `${text}\n[output truncated after ${this.limit} bytes]` : text;
  }
}
