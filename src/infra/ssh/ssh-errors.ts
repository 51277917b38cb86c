import { hostKey } from '../../common/network/host-policy';
import { DeniedAddressError } from '../../common/network/resolved-addresses';
import type { ServerTarget } from '../../rollout/domain';
import { RemoteConnectionError } from '../../rollout/ports/remote-executor.port';
import { redact } from './command-summary';

/** Raised when a channel could not be opened; safe to retry on a fresh connection since nothing ran. */
export class ChannelOpenError extends Error {}

/** What ssh2 raises while connecting: `level` for handshake stages, `code` for socket errors. */
export type SshConnectFailure = Error & { level?: string; code?: string };

/** The host-key fingerprints of one handshake: the one required (null: trust on first use) and the one offered. */
export interface HostKeyCheck {
  expected: string | null;
  seen: string | null;
}

/** `server web-1 (web-1.lan:22)`; with the address a name resolved to: `server web-1 (web-1.lan:22 at 10.0.0.5)`. */
export function describe(server: ServerTarget, address?: string): string {
  const at = address === undefined || address === hostKey(server.host) ? '' : ` at ${address}`;
  return `server ${server.name} (${server.host}:${server.port}${at})`;
}

/** Every error leaving the executor goes through here, so none can carry the private key. */
export function sshError(server: ServerTarget, message: string): RemoteConnectionError {
  return new RemoteConnectionError(server.name, redact(message, server.privateKey));
}

/** The host could not be resolved, or resolved to a denied address. */
export function addressError(server: ServerTarget, err: Error): RemoteConnectionError {
  if (err instanceof DeniedAddressError) {
    return sshError(server, `Refused to connect to ${describe(server)}: ${err.message}`);
  }
  return sshError(server, `Cannot connect to ${describe(server)}: ${err.message}`);
}

/** Maps a failed connect or handshake to the message an operator can act on. */
export function connectError(
  server: ServerTarget,
  address: string,
  err: SshConnectFailure,
  { expected, seen }: HostKeyCheck,
  connectTimeoutMs: number,
): RemoteConnectionError {
  const where = `${server.host}:${server.port}`;
  if (expected !== null && seen !== null && seen !== expected) {
    return sshError(
      server,
      `Host key mismatch for server ${server.name} (${where}): expected ${expected}, got ${seen}`,
    );
  }
  if (err.level === 'client-authentication')
    return sshError(server, `SSH authentication failed for ${server.user}@${where}`);
  if (err.level === 'client-timeout') {
    return sshError(
      server,
      `SSH connection to ${describe(server, address)} timed out after ${connectTimeoutMs}ms`,
    );
  }
  if (err.code === 'ECONNREFUSED')
    return sshError(server, `SSH connection to ${describe(server, address)} refused (ECONNREFUSED)`);
  if (err.code && /^E[A-Z]+$/.test(err.code)) {
    return sshError(server, `Cannot reach ${describe(server, address)}: ${err.code}`);
  }
  if (/privateKey/i.test(err.message)) {
    return sshError(server, `Invalid SSH private key for server ${server.name}: ${err.message}`);
  }
  return sshError(server, `SSH connection to ${describe(server, address)} failed: ${err.message}`);
}
