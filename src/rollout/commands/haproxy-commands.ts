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
export function setStateLine(backend: string, serverName: string, state: HaproxyServerState): string {
  return `set server ${haproxyServerRef(backend, serverName)} state ${state}`;
}

/**
 * `set server be_shop/web-1 addr 10.0.0.1 port 8081` then `state ready`: the server line points at the new
 * instance and stays in rotation (`start-first`). HAProxy's runtime API takes an IP address here, not a
 * host name. Its answer to the first says what changed (`moveAccepted`), to the second nothing.
 */
export function moveLines(
  backend: string,
  serverName: string,
  address: string,
  port: number,
): [string, string] {
  if (!isIP(address))
    throw new UnsafeConfigValueError(
      `HAProxy's runtime API moves a server to an IP address; ${JSON.stringify(address)} is not one`,
    );
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new UnsafeConfigValueError(`not a port: ${JSON.stringify(port)}`);
  const server = haproxyServerRef(backend, serverName);
  return [`set server ${server} addr ${address} port ${port}`, setStateLine(backend, serverName, 'ready')];
}

/** HAProxy's answer to a `set server … addr … port …`: what changed, or that nothing needed to. */
export function moveAccepted(answer: string): boolean {
  const lines = answer
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');
  return lines.length === 1 && lines.every((line) => /changed from|no need to change/i.test(line));
}

/** `show stat be_shop 4 -1`: the backend's servers (type 4) as CSV, read by `haproxy-stat.ts`. */
export function showStatLine(backend: string): string {
  return `show stat ${haproxyName(backend)} 4 -1`;
}

/**
 * The answers to `count` runtime commands sent on one connection, in order: HAProxy ends each answer with
 * an empty line, so an accepted `set server … state` answers '' and an error its message. Null when fewer
 * answers came (the connection was cut): a missing answer must never pass for an accepted change.
 */
export function runtimeAnswers(output: string, count: number): string[] | null {
  const answers: string[] = [];
  let current: string[] = [];
  const lines = output.replace(/\r/g, '').split('\n');
  lines.pop(); // what follows the last newline is no complete line
  for (const line of lines) {
    if (answers.length === count) break;
    if (line.trim() === '') {
      answers.push(current.join('\n'));
      current = [];
    } else current.push(line);
  }
  return answers.length === count ? answers : null;
}

/** `show stat` alone, as its own command. */
export function showStat(socketPath: string, backend: string): RemoteCommand {
  return haproxyRuntime(socketPath, [showStatLine(backend)]);
}
