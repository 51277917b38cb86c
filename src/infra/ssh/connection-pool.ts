import { createHash } from 'node:crypto';
import { Client } from 'ssh2';
import type { ResolvedAddresses } from '../../common/network/resolved-addresses';
import type { ServerTarget } from '../../rollout/domain';
import type { HostKeyPinning } from '../../rollout/ports/remote-executor.port';
import { ChannelLimiter } from './channel-limiter';
import { redact } from './command-summary';
import { normalizeFingerprint, openSshFingerprint } from './host-key';
import type { ChannelHost } from './ssh-channel';
import { addressError, connectError, describe, SshConnectFailure, sshError } from './ssh-errors';

export interface ConnectionPoolOptions {
  /** ssh2's readyTimeout: TCP connect plus the SSH handshake and authentication. */
  connectTimeoutMs: number;
  keepaliveIntervalMs: number;
  /** Unanswered keepalives before the connection is considered dead. */
  keepaliveCountMax: number;
  maxChannelsPerConnection: number;
  /** A pooled connection with no command for this long is closed (the next command reconnects). */
  idleTimeoutMs: number;
}

export interface Connection extends ChannelHost {
  /** Changes when the server's address, user, key or pinned fingerprint changes. */
  signature: string;
  /** Settles once the handshake is done and a first-use host key is pinned; rejects with RemoteConnectionError. */
  ready: Promise<void>;
  closed: boolean;
  /** Set once the host is resolved and ssh2 starts connecting to that address. */
  connecting: boolean;
  /** Closed by `release` or a changed server; a connection still resolving then never connects. */
  released: boolean;
  idleTimer?: NodeJS.Timeout;
}

/**
 * One SSH connection per server, reused while the server's address, user, key and pinned fingerprint stay
 * the same. Each new connection resolves the host once, checks the address against the host policy and
 * connects to that address; an unpinned host key is trusted on first use and pinned through `pinning`.
 */
export class ConnectionPool {
  private readonly connections = new Map<number, Connection>();
  /** Fingerprints trusted on first use in this process, by server id. */
  private readonly pinned = new Map<number, string>();

  constructor(
    private readonly options: ConnectionPoolOptions,
    private readonly pinning: HostKeyPinning,
    private readonly addresses: ResolvedAddresses,
  ) {}

  /** The server's current connection (opened if missing, closed or stale), kept out of the idle timer. */
  acquire(server: ServerTarget): Connection {
    const signature = [
      server.host,
      server.port,
      server.user,
      createHash('sha256').update(server.privateKey).digest('hex'),
      normalizeFingerprint(server.hostKeyFingerprint) ?? '',
    ].join('|');
    const existing = this.connections.get(server.id);
    if (existing && !existing.closed && existing.signature === signature) {
      clearTimeout(existing.idleTimer);
      return existing;
    }
    // Not awaited: closeClient never rejects, and the new connection need not wait for the old one to end.
    if (existing) void closeClient(existing);
    const connection = this.open(server, signature);
    this.connections.set(server.id, connection);
    return connection;
  }

  /** Starts the idle timer once no command is running or waiting on the connection. */
  closeWhenIdle(serverId: number, connection: Connection): void {
    if (connection.closed || connection.limiter.inUse > 0 || connection.limiter.waiting > 0) return;
    clearTimeout(connection.idleTimer);
    connection.idleTimer = setTimeout(() => {
      if (connection.limiter.inUse > 0 || connection.limiter.waiting > 0) return;
      if (this.connections.get(serverId) === connection) this.connections.delete(serverId);
      // Not awaited: a timer has no one to report to, and closeClient never rejects.
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
        return connection ? closeClient(connection) : Promise.resolve();
      }),
    );
  }

  private open(server: ServerTarget, signature: string): Connection {
    const client = new Client();
    const hostKey = {
      expected: normalizeFingerprint(server.hostKeyFingerprint) ?? this.pinned.get(server.id) ?? null,
      seen: null as string | null,
    };
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

    const failed = (address: string, err: SshConnectFailure) =>
      connectError(server, address, err, hostKey, this.options.connectTimeoutMs);
    const connect = (address: string) =>
      new Promise<void>((resolve, reject) => {
        if (connection.released) {
          return reject(
            sshError(server, `SSH connection to ${describe(server)} was closed before it was made`),
          );
        }
        connection.connecting = true;
        client.once('ready', resolve);
        client.once('error', (err: SshConnectFailure) => reject(failed(address, err)));
        client.once('close', () =>
          reject(sshError(server, `SSH connection to ${describe(server)} closed during the handshake`)),
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
              hostKey.seen = openSshFingerprint(key);
              return hostKey.expected === null || hostKey.seen === hostKey.expected;
            },
          });
        } catch (err) {
          reject(failed(address, err as Error));
        }
      });
    const handshake = this.addresses
      .resolve(server.host)
      .then(connect, (err: Error) => Promise.reject(addressError(server, err)));

    connection.ready = handshake
      .then(() => this.pinOnFirstUse(server, hostKey.expected, hostKey.seen))
      .catch((err: unknown) => {
        forget();
        client.end();
        throw err;
      });
    // A failed handshake is reported to the commands that await it; none may be waiting yet.
    connection.ready.catch(() => undefined);
    return connection;
  }

  private async pinOnFirstUse(
    server: ServerTarget,
    expected: string | null,
    seen: string | null,
  ): Promise<void> {
    if (expected !== null || seen === null) return;
    this.pinned.set(server.id, seen);
    try {
      await this.pinning.pin(server.id, seen);
    } catch (err) {
      this.pinned.delete(server.id);
      throw sshError(server, `Could not pin the host key of ${describe(server)}: ${(err as Error).message}`);
    }
  }
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
