import { createHash } from 'node:crypto';
import { constants } from 'node:os';
import { Client, ClientChannel } from 'ssh2';
import { hostKey, HostPolicy } from '../../common/network/host-policy';
import { DeniedAddressError, ResolvedAddresses } from '../../common/network/resolved-addresses';
import type { AppConfig } from '../../config/app-config';
import { shellJoin } from '../../rollout/commands/shell';
import type { ServerTarget } from '../../rollout/domain';
import {
  CommandResult,
  HostKeyPinning,
  RemoteCommand,
  RemoteConnectionError,
  RemoteExecutor,
} from '../../rollout/ports/remote-executor.port';
import { ChannelLimiter } from './channel-limiter';
import { redact, summarizeCommand } from './command-summary';
import { normalizeFingerprint, openSshFingerprint } from './host-key';

export interface SshExecutorOptions {
  /** ssh2's readyTimeout: TCP connect plus the SSH handshake and authentication. */
  connectTimeoutMs: number;
  /** Default per-command timeout, from the moment a connection is ready (waiting for a channel included). */
  commandTimeoutMs: number;
  keepaliveIntervalMs: number;
  /** Unanswered keepalives before the connection is considered dead. */
  keepaliveCountMax?: number;
  /** OpenSSH's MaxSessions defaults to 10 channels per connection. */
  maxChannelsPerConnection: number;
  /** Captured stdout and stderr are each cut at this size. */
  maxOutputBytes?: number;
  /** A pooled connection with no command for this long is closed (the next command reconnects). */
  idleTimeoutMs?: number;
}

interface Connection {
  /** Changes when the server's address, user, key or pinned fingerprint changes. */
  signature: string;
  client: Client;
  ready: Promise<void>;
  closed: boolean;
  /** Set once the host is resolved and ssh2 starts connecting to that address. */
  connecting: boolean;
  /** Closed by `release` or a changed server; a connection still resolving then never connects. */
  released: boolean;
  limiter: ChannelLimiter;
  /** Why the connection ended, for commands that were cut off. */
  lastError: string | null;
  idleTimer?: NodeJS.Timeout;
}

/** Raised when a channel could not be opened; safe to retry on a fresh connection since nothing ran. */
class ChannelOpenError extends Error {}

const MIB = 1024 * 1024;

export class SshRemoteExecutor extends RemoteExecutor {
  private readonly connections = new Map<number, Connection>();
  /** Fingerprints trusted on first use in this process, by server id. */
  private readonly pinned = new Map<number, string>();
  private readonly options: Required<SshExecutorOptions>;

  /**
   * `addresses` is shared with the health probe: each new connection resolves the host once, checks it
   * against SERVER_HOST_DENYLIST and connects to that address, which the probe then uses too.
   */
  constructor(
    options: SshExecutorOptions,
    private readonly pinning: HostKeyPinning,
    private readonly addresses: ResolvedAddresses = new ResolvedAddresses(new HostPolicy()),
  ) {
    super();
    this.options = { keepaliveCountMax: 3, maxOutputBytes: MIB, idleTimeoutMs: 5 * 60_000, ...options };
  }

  async run(server: ServerTarget, command: RemoteCommand): Promise<CommandResult> {
    const line = shellJoin(command.argv);
    const summary = summarizeCommand(command.argv);
    const timeoutMs = command.timeoutMs ?? this.options.commandTimeoutMs;
    for (let attempt = 1; ; attempt++) {
      const connection = this.connection(server);
      clearTimeout(connection.idleTimer);
      await connection.ready;
      try {
        return await this.exec(connection, server, line, command.stdin, timeoutMs, summary);
      } catch (err) {
        if (err instanceof ChannelOpenError) {
          if (connection.closed && attempt === 1) continue;
          throw this.error(
            server,
            `Could not open an SSH channel on ${describe(server)} for: ${summary}: ${err.message}`,
          );
        }
        throw err;
      } finally {
        this.closeWhenIdle(server.id, connection);
      }
    }
  }

  private closeWhenIdle(serverId: number, connection: Connection): void {
    if (connection.closed || connection.limiter.inUse > 0 || connection.limiter.waiting > 0) return;
    clearTimeout(connection.idleTimer);
    connection.idleTimer = setTimeout(() => {
      if (connection.limiter.inUse > 0 || connection.limiter.waiting > 0) return;
      if (this.connections.get(serverId) === connection) this.connections.delete(serverId);
      void closeClient(connection);
    }, this.options.idleTimeoutMs);
    connection.idleTimer.unref();
  }

  async release(serverId?: number): Promise<void> {
    const ids = serverId === undefined ? [...this.connections.keys()] : [serverId];
    await Promise.all(
      ids.map((id) => {
        const connection = this.connections.get(id);
        this.connections.delete(id);
        return connection ? closeClient(connection) : undefined;
      }),
    );
  }

  private connection(server: ServerTarget): Connection {
    const signature = [
      server.host,
      server.port,
      server.user,
      createHash('sha256').update(server.privateKey).digest('hex'),
      normalizeFingerprint(server.hostKeyFingerprint) ?? '',
    ].join('|');
    const existing = this.connections.get(server.id);
    if (existing && !existing.closed && existing.signature === signature) return existing;
    if (existing) void closeClient(existing);
    const connection = this.open(server, signature);
    this.connections.set(server.id, connection);
    return connection;
  }

  private open(server: ServerTarget, signature: string): Connection {
    const client = new Client();
    const expected = normalizeFingerprint(server.hostKeyFingerprint) ?? this.pinned.get(server.id) ?? null;
    let seen: string | null = null;
    const connection: Connection = {
      signature,
      client,
      ready: Promise.resolve(),
      closed: false,
      connecting: false,
      released: false,
      limiter: new ChannelLimiter(this.options.maxChannelsPerConnection),
      lastError: null,
    };
    const forget = () => {
      connection.closed = true;
      if (this.connections.get(server.id) === connection) this.connections.delete(server.id);
    };
    client.on('error', (err) => (connection.lastError = redact(err.message, server.privateKey)));
    client.on('close', forget);

    const connect = (address: string) =>
      new Promise<void>((resolve, reject) => {
        if (connection.released) {
          return reject(
            this.error(server, `SSH connection to ${describe(server)} was closed before it was made`),
          );
        }
        connection.connecting = true;
        client.once('ready', resolve);
        client.once('error', (err: Error & { level?: string; code?: string }) =>
          reject(this.connectError(server, address, err, expected, seen)),
        );
        client.once('close', () =>
          reject(this.error(server, `SSH connection to ${describe(server)} closed during the handshake`)),
        );
        try {
          client.connect({
            // The address checked against the denylist, never the name: DNS cannot answer differently now.
            host: address,
            port: server.port,
            username: server.user,
            privateKey: server.privateKey,
            readyTimeout: this.options.connectTimeoutMs,
            keepaliveInterval: this.options.keepaliveIntervalMs,
            keepaliveCountMax: this.options.keepaliveCountMax,
            hostVerifier: (key: Buffer): boolean => {
              seen = openSshFingerprint(key);
              return expected === null || seen === expected;
            },
          });
        } catch (err) {
          reject(this.connectError(server, address, err as Error, expected, seen));
        }
      });
    const handshake = this.addresses
      .resolve(server.host)
      .then(connect, (err: Error) => Promise.reject(this.addressError(server, err)));

    connection.ready = handshake
      .then(async () => {
        if (expected !== null || seen === null) return;
        this.pinned.set(server.id, seen);
        try {
          await this.pinning.pin(server.id, seen);
        } catch (err) {
          this.pinned.delete(server.id);
          throw this.error(
            server,
            `Could not pin the host key of ${describe(server)}: ${(err as Error).message}`,
          );
        }
      })
      .catch((err: unknown) => {
        forget();
        client.end();
        throw err;
      });
    // A failed handshake is reported to the commands that await it; none may be waiting yet.
    connection.ready.catch(() => undefined);
    return connection;
  }

  private exec(
    connection: Connection,
    server: ServerTarget,
    line: string,
    stdin: string | undefined,
    timeoutMs: number,
    summary: string,
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
        settle(() => reject(this.error(server, message)));
      }, timeoutMs);

      connection.limiter
        .acquire(abort.signal)
        .then((releaseSlot) => {
          release = releaseSlot;
          return openChannel(connection.client, line, stdin, this.options.maxOutputBytes);
        })
        .then(
          async ({ channel: opened, output }) => {
            if (settled) return closeChannel(opened);
            channel = opened;
            const { exitCode, stdout, stderr } = await output;
            if (exitCode === null) {
              const reason = connection.lastError ? ` (${connection.lastError})` : '';
              const message = `SSH connection to ${describe(server)} was lost${reason} while running: ${summary}`;
              return settle(() => reject(this.error(server, message)));
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

  private addressError(server: ServerTarget, err: Error): RemoteConnectionError {
    if (err instanceof DeniedAddressError) {
      return this.error(server, `Refused to connect to ${describe(server)}: ${err.message}`);
    }
    return this.error(server, `Cannot connect to ${describe(server)}: ${err.message}`);
  }

  private connectError(
    server: ServerTarget,
    address: string,
    err: Error & { level?: string; code?: string },
    expected: string | null,
    seen: string | null,
  ): RemoteConnectionError {
    const where = `${server.host}:${server.port}`;
    if (expected !== null && seen !== null && seen !== expected) {
      return this.error(
        server,
        `Host key mismatch for server ${server.name} (${where}): expected ${expected}, got ${seen}`,
      );
    }
    if (err.level === 'client-authentication')
      return this.error(server, `SSH authentication failed for ${server.user}@${where}`);
    if (err.level === 'client-timeout') {
      return this.error(
        server,
        `SSH connection to ${describe(server, address)} timed out after ${this.options.connectTimeoutMs}ms`,
      );
    }
    if (err.code === 'ECONNREFUSED')
      return this.error(server, `SSH connection to ${describe(server, address)} refused (ECONNREFUSED)`);
    if (err.code && /^E[A-Z]+$/.test(err.code)) {
      return this.error(server, `Cannot reach ${describe(server, address)}: ${err.code}`);
    }
    if (/privateKey/i.test(err.message)) {
      return this.error(server, `Invalid SSH private key for server ${server.name}: ${err.message}`);
    }
    return this.error(server, `SSH connection to ${describe(server, address)} failed: ${err.message}`);
  }

  private error(server: ServerTarget, message: string): RemoteConnectionError {
    return new RemoteConnectionError(server.name, redact(message, server.privateKey));
  }
}

export function createSshRemoteExecutor(
  config: AppConfig,
  pinning: HostKeyPinning,
  addresses = new ResolvedAddresses(new HostPolicy(config.serverHostDenylist)),
): SshRemoteExecutor {
  return new SshRemoteExecutor(
    {
      connectTimeoutMs: config.sshConnectTimeoutMs,
      commandTimeoutMs: config.sshCommandTimeoutMs,
      keepaliveIntervalMs: 5000,
      keepaliveCountMax: 3,
      maxChannelsPerConnection: 8,
    },
    pinning,
    addresses,
  );
}

/** `server web-1 (web-1.lan:22)`; with the address a name resolved to: `server web-1 (web-1.lan:22 at 10.0.0.5)`. */
function describe(server: ServerTarget, address?: string): string {
  const at = address === undefined || address === hostKey(server.host) ? '' : ` at ${address}`;
  return `server ${server.name} (${server.host}:${server.port}${at})`;
}

function exitCodeOfSignal(signalName: string | undefined): number {
  const number = signalName ? constants.signals[`SIG${signalName}` as NodeJS.Signals] : undefined;
  return number === undefined ? 255 : 128 + number;
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
      reject(err as Error);
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

function closeChannel(channel: ClientChannel): void {
  try {
    channel.signal('KILL');
  } catch {
    // The server may not accept signals; closing the channel is what counts.
  }
  channel.close();
}

function closeClient(connection: Connection): Promise<void> {
  clearTimeout(connection.idleTimer);
  connection.released = true;
  // Still resolving: nothing to close, and `connect` will see `released` and never start.
  if (connection.closed || !connection.connecting) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, 1000);
    connection.client.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
    connection.client.end();
  });
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
