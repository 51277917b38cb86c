import { HostPolicy } from '../../common/network/host-policy';
import { ResolvedAddresses } from '../../common/network/resolved-addresses';
import type { AppConfig } from '../../config/app-config';
import { shellJoin } from '../../rollout/commands/shell';
import type { ServerTarget } from '../../rollout/domain';
import {
  CommandResult,
  HostKeyPinning,
  RemoteCommand,
  RemoteExecutor,
} from '../../rollout/ports/remote-executor.port';
import { summarizeCommand } from './command-summary';
import { ConnectionPool } from './connection-pool';
import { execOnChannel } from './ssh-channel';
import { ChannelOpenError, describe, sshError } from './ssh-errors';

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

const MIB = 1024 * 1024;

/**
 * The RemoteExecutor over SSH: takes the server's pooled connection (`connection-pool.ts`), waits for its
 * handshake, runs the command on a channel of its own (`ssh-channel.ts`), and retries once on a fresh
 * connection when a channel could not be opened because the pooled one had just closed (nothing ran).
 * Every failure to reach or trust a host is a RemoteConnectionError (`ssh-errors.ts`).
 */
export class SshRemoteExecutor extends RemoteExecutor {
  private readonly options: Required<SshExecutorOptions>;
  private readonly pool: ConnectionPool;

  /**
   * `addresses` is shared with the health probe: each new connection resolves the host once, checks it
   * against SERVER_HOST_DENYLIST and connects to that address, which the probe then uses too.
   */
  constructor(
    options: SshExecutorOptions,
    pinning: HostKeyPinning,
    addresses: ResolvedAddresses = new ResolvedAddresses(new HostPolicy()),
  ) {
    super();
    this.options = { keepaliveCountMax: 3, maxOutputBytes: MIB, idleTimeoutMs: 5 * 60_000, ...options };
    this.pool = new ConnectionPool(this.options, pinning, addresses);
  }

  async run(server: ServerTarget, command: RemoteCommand): Promise<CommandResult> {
    const request = {
      line: shellJoin(command.argv),
      stdin: command.stdin,
      timeoutMs: command.timeoutMs ?? this.options.commandTimeoutMs,
      summary: summarizeCommand(command),
      maxOutputBytes: this.options.maxOutputBytes,
    };
    for (let attempt = 1; ; attempt++) {
      const connection = this.pool.acquire(server);
      await connection.ready;
      try {
        return await execOnChannel(connection, server, request);
      } catch (err) {
        if (err instanceof ChannelOpenError) {
          if (connection.closed && attempt === 1) continue;
          throw sshError(
            server,
            `Could not open an SSH channel on ${describe(server)} for: ${request.summary}: ${err.message}`,
          );
        }
        throw err;
      } finally {
        this.pool.closeWhenIdle(server.id, connection);
      }
    }
  }

  release(serverId?: number): Promise<void> {
    return this.pool.release(serverId);
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
