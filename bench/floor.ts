import type { LoggedCommand } from '../test/fleet/fleet';
import { shellJoin } from '../src/rollout/commands/shell';
import { waitForTag } from './health-poll';
import type { SshSessions } from './ssh-sessions';

/** The docker verbs that change a host; inspects are how Rollout decides, so they count as its overhead. */
const MUTATING = new Set(['pull', 'run', 'stop', 'start', 'rm', 'rename']);

export type Order = 'stop-first' | 'start-first';

/** What one host did in a Rollout run, split where the load balancer acts. */
export interface FloorHost {
  address: string;
  /** HAProxy's server name (web-N). */
  serverName: string;
  /** Before the load balancer moves anything: the pulls. */
  pull: string[][];
  /** stop-first: everything after the drain; start-first: the new container started beside the old one. */
  swap: string[][];
  /** start-first only: the old container retired after the move. */
  retire: string[][];
  /** The port the new instance serves on. */
  port: number;
}

export interface FloorPlan {
  order: Order;
  batches: FloorHost[][];
  lbAddress: string;
  socketPath: string;
  backend: string;
  tag: string;
}

/**
 * Rollout's mutating docker commands on a host during one run, retargeted at `toTag` (and, for
 * start-first, at the other port: the replay starts from the state Rollout left).
 */
export function floorHost(args: {
  address: string;
  serverName: string;
  logged: LoggedCommand[];
  fromTag: string;
  toTag: string;
  order: Order;
  ports: [number, number];
}): FloorHost {
  const { order, ports } = args;
  const commands = args.logged
    .filter((entry) => entry.exit === 0 && MUTATING.has(entry.argv[0] ?? ''))
    .map((entry) => entry.argv.map((word) => word.replace(`:${args.fromTag}`, `:${args.toTag}`)));
  let port = ports[0];
  const retargeted = commands.map((argv) => {
    if (argv[0] !== 'run') return argv;
    const at = argv.indexOf('-p');
    const [hostPort, containerPort] = (argv[at + 1] ?? '').split(':');
    port = Number(hostPort);
    if (order === 'start-first') port = port === ports[0] ? ports[1] : ports[0];
    const copy = [...argv];
    copy[at + 1] = `${port}:${containerPort}`;
    return copy;
  });
  const pull = retargeted.filter((argv) => argv[0] === 'pull');
  const rest = retargeted.filter((argv) => argv[0] !== 'pull');
  const run = rest.findIndex((argv) => argv[0] === 'run');
  if (run < 0) throw new Error(`${args.serverName}: Rollout's log has no docker run to replay`);
  const swap = order === 'start-first' ? rest.slice(0, run + 1) : rest;
  const retire = order === 'start-first' ? rest.slice(run + 1) : [];
  return { address: args.address, serverName: args.serverName, pull, swap, retire, port };
}

/**
 * What the fleet physically needs for the same work: per batch the pulls, one HAProxy line for the whole
 * batch's drain (or move), one SSH exec per host for its swap, health polled every 20 ms, one HAProxy line
 * for the whole batch's ready. Returns the wall time in ms.
 */
export async function runFloor(plan: FloorPlan, sessions: SshSessions): Promise<number> {
  const started = performance.now();
  for (const batch of plan.batches) {
    await Promise.all(batch.map((host) => execAll(sessions, host.address, host.pull)));
    if (plan.order === 'stop-first') {
      await haproxy(
        sessions,
        plan,
        batch.map((h) => `set server ${plan.backend}/${h.serverName} state drain`),
      );
      await Promise.all(batch.map((host) => execAll(sessions, host.address, host.swap)));
      await Promise.all(batch.map((host) => waitForTag(host.address, host.port, plan.tag)));
      await haproxy(
        sessions,
        plan,
        batch.map((h) => `set server ${plan.backend}/${h.serverName} state ready`),
      );
    } else {
      await Promise.all(batch.map((host) => execAll(sessions, host.address, host.swap)));
      await Promise.all(batch.map((host) => waitForTag(host.address, host.port, plan.tag)));
      await haproxy(
        sessions,
        plan,
        batch.flatMap((h) => [
          `set server ${plan.backend}/${h.serverName} addr ${h.address} port ${h.port}`,
          `set server ${plan.backend}/${h.serverName} state ready`,
        ]),
      );
      await Promise.all(batch.map((host) => execAll(sessions, host.address, host.retire)));
    }
  }
  return performance.now() - started;
}

async function execAll(sessions: SshSessions, address: string, commands: string[][]): Promise<void> {
  if (commands.length === 0) return;
  const line = commands.map((argv) => shellJoin(['docker', ...argv])).join(' && ');
  const answer = await sessions.exec(address, line);
  if (answer.code !== 0) throw new Error(`floor on ${address}: ${line}: ${answer.stderr.trim()}`);
}

async function haproxy(sessions: SshSessions, plan: FloorPlan, lines: string[]): Promise<void> {
  const line = shellJoin(['socat', 'stdio', `UNIX-CONNECT:${plan.socketPath}`]);
  const answer = await sessions.exec(plan.lbAddress, line, lines.map((l) => `${l}\n`).join(''));
  const complaints = answer.stdout
    .split('\n')
    .filter((l) => l.trim() !== '' && !/changed from|no need/i.test(l));
  if (answer.code !== 0 || complaints.length > 0)
    throw new Error(`floor: HAProxy answered ${JSON.stringify(answer.stdout + answer.stderr)}`);
}
