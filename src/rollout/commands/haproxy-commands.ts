import { isIP } from 'node:net';
import { isHaproxyName, isHaproxySocketPath } from '../../common/validation/rules';
import type { RemoteCommand } from '../ports/remote-executor.port';
import { UnsafeConfigValueError } from './proxy-names';

/** The runtime states Rollout sets: `drain` takes a server out gently, `ready` puts it back. */
export type HaproxyServerState = 'drain' | 'ready';

/** Sends runtime API commands to HAProxy's admin socket; each command is one line on stdin. */
export function haproxyRuntime(socketPath: string, commands: readonly string[]): RemoteCommand {
  if (!isHaproxySocketPath(socketPath))
    throw new Error(`not a usable HAProxy socket path: ${JSON.stringify(socketPath)}`);
  if (commands.length === 0) throw new Error('HAProxy needs at least one runtime command');
  for (const command of commands) {
    if (/[\n\r;]/.test(command))
      throw new Error(`one HAProxy runtime command per line: ${JSON.stringify(command)}`);
  }
  return {
    argv: ['socat', 'stdio', `UNIX-CONNECT:${socketPath}`],
    stdin: commands.map((c) => `${c}\n`).join(''),
  };
}

/** A backend or server name as HAProxy's configuration accepts it; anything else is refused, not escaped. */
export function haproxyName(name: string): string {
  if (!isHaproxyName(name))
    throw new UnsafeConfigValueError(`not a valid HAProxy name: ${JSON.stringify(name)}`);
  return name;
}

/** `be_shop` + `web-1` → `be_shop/web-1`, the runtime API's name of one server of a backend. */
export function haproxyServerRef(backend: string, serverName: string): string {
  return `${haproxyName(backend)}/${haproxyName(serverName)}`;
}

/** `set server be_shop/web-1 state drain`: HAProxy answers an empty line when it accepted the change. */
export function setServerState(
  socketPath: string,
  backend: string,
  serverName: string,
  state: HaproxyServerState,
): RemoteCommand {
  const server = haproxyServerRef(backend, serverName);
  return haproxyRuntime(socketPath, [`set server ${server} state ${state}`]);
}

/**
 * `set server be_shop/web-1 addr 10.0.0.1 port 8081` then `state ready`, on one connection: the server line
 * points at the new instance and stays in rotation (`start-first`). HAProxy's runtime API takes an IP
 * address here, not a host name.
 */
export function moveServer(
  socketPath: string,
  backend: string,
  serverName: string,
  address: string,
  port: number,
): RemoteCommand {
  if (!isIP(address))
    throw new UnsafeConfigValueError(
      `HAProxy's runtime API moves a server to an IP address; ${JSON.stringify(address)} is not one`,
    );
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new UnsafeConfigValueError(`not a port: ${JSON.stringify(port)}`);
  const server = haproxyServerRef(backend, serverName);
  return haproxyRuntime(socketPath, [
    `set server ${server} addr ${address} port ${port}`,
    `set server ${server} state ready`,
  ]);
}

/**
 * HAProxy's answer to `moveServer`: a line saying what changed (or that nothing needed to), then nothing for
 * the state; anything else is an error message.
 */
export function moveAccepted(answer: string): boolean {
  const lines = answer
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');
  return lines.length <= 1 && lines.every((line) => /changed from|no need to change/i.test(line));
}

/** `show stat be_shop 4 -1`: the backend's servers (type 4) as CSV, read by `haproxy-stat.ts`. */
export function showStat(socketPath: string, backend: string): RemoteCommand {
  return haproxyRuntime(socketPath, [`show stat ${haproxyName(backend)} 4 -1`]);
}
