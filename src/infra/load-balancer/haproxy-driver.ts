import type { Clock } from '../../common/clock';
import type { LoadBalancerConfig } from '../../rollout/domain';
import {
  type HaproxyServerState,
  haproxyServerRef,
  moveAccepted,
  moveServer,
  setServerState,
  showStat,
} from '../../rollout/commands/haproxy-commands';
import type { RotationMember } from '../../rollout/ports/load-balancer.port';
import type { RemoteExecutor } from '../../rollout/ports/remote-executor.port';
import { currentSessions, parseShowStat, serverStatuses } from '../../rollout/commands/haproxy-stat';
import { DriverTarget, LoadBalancerDriver, LoadBalancerStep, RemoteSteps, capped } from './remote-steps';

type HaproxyConfig = Extract<LoadBalancerConfig, { type: 'haproxy' }>;

export const DRAIN_POLL_INTERVAL_MS = 250;

/** Drives the runtime API: no reload, so no connection is reset. */
export class HaproxyDriver implements LoadBalancerDriver<DriverTarget<HaproxyConfig>> {
  constructor(
    private readonly executor: RemoteExecutor,
    private readonly clock: Clock,
  ) {}

  async removeFromRotation(
    target: DriverTarget<HaproxyConfig>,
    _remaining: readonly RotationMember[],
    leaving: readonly RotationMember[],
    signal?: AbortSignal,
  ): Promise<void> {
    if (leaving.length === 0) return;
    const steps = new RemoteSteps(this.executor, target.server, 'haproxy');
    for (const member of leaving) await this.setState(steps, target.config, member, 'drain');
    await this.waitForNoSessions(
      steps,
      target.config,
      leaving.map((member) => member.serverName),
      signal,
    );
  }

  async addToRotation(
    target: DriverTarget<HaproxyConfig>,
    all: readonly RotationMember[],
    joining: readonly RotationMember[],
  ): Promise<void> {
    const steps = new RemoteSteps(this.executor, target.server, 'haproxy');
    for (const member of joining) await this.setState(steps, target.config, member, 'ready');
    await this.readyStrayMembers(steps, target.config, all, joining);
  }

  /**
   * Points each moved server line at its new address and keeps it ready; no line is drained. HAProxy's
   * sessions per line cannot tell the old address from the new one, so the old instances get `drainSeconds`.
   */
  async moveInRotation(
    target: DriverTarget<HaproxyConfig>,
    _all: readonly RotationMember[],
    moved: readonly RotationMember[],
  ): Promise<void> {
    if (moved.length === 0) return;
    const { config } = target;
    const steps = new RemoteSteps(this.executor, target.server, 'haproxy');
    for (const member of moved) {
      const result = await steps.run(
        'set addr',
        moveServer(config.socketPath, config.backend, member.serverName, member.host, member.port),
      );
      const answer = result.stdout.trim();
      if (!moveAccepted(answer))
        throw steps.failure(
          'set addr',
          `${haproxyServerRef(config.backend, member.serverName)}: ${capped(answer)}`,
        );
    }
    await this.clock.sleep(config.drainSeconds * 1000);
  }

  /**
   * HAProxy forgets runtime states on a restart (servers come back as the configuration says, often
   * MAINT), and a crashed rollout can leave one in DRAIN. Each addition therefore reads `show stat` once and
   * sets ready any member Rollout counts in rotation that HAProxy does not. Best effort: the joining
   * servers are already ready, so a failure here must not fail their batch.
   */
  private async readyStrayMembers(
    steps: RemoteSteps,
    config: HaproxyConfig,
    all: readonly RotationMember[],
    joining: readonly RotationMember[],
  ): Promise<void> {
    const others = all.filter((member) => !joining.some((j) => j.serverId === member.serverId));
    if (others.length === 0) return;
    let statuses: Map<string, string>;
    try {
      const result = await steps.run('show stat', showStat(config.socketPath, config.backend));
      statuses = serverStatuses(parseShowStat(result.stdout), config.backend);
    } catch {
      return;
    }
    for (const member of others) {
      const status = statuses.get(member.serverName) ?? '';
      if (/^(MAINT|DRAIN)/.test(status)) await this.setState(steps, config, member, 'ready');
    }
  }

  private async setState(
    steps: RemoteSteps,
    config: HaproxyConfig,
    member: RotationMember,
    state: HaproxyServerState,
  ): Promise<void> {
    const step: LoadBalancerStep = state;
    const result = await steps.run(
      step,
      setServerState(config.socketPath, config.backend, member.serverName, state),
    );
    const server = haproxyServerRef(config.backend, member.serverName);
    const answer = result.stdout.trim();
    if (answer !== '') throw steps.failure(step, `${server}: ${capped(answer)}`);
  }

  /** Polls `show stat` until no leaving server has a session, `drainSeconds` have passed or `signal` aborts. */
  private async waitForNoSessions(
    steps: RemoteSteps,
    config: HaproxyConfig,
    serverNames: string[],
    signal?: AbortSignal,
  ): Promise<void> {
    const deadline = this.clock.now().getTime() + config.drainSeconds * 1000;
    const command = showStat(config.socketPath, config.backend);
    for (;;) {
      const result = await steps.run('show stat', command);
      let sessions: Map<string, number>;
      try {
        sessions = currentSessions(parseShowStat(result.stdout), config.backend, serverNames);
      } catch (error) {
        throw steps.failure('show stat', `${(error as Error).message}: ${capped(result.stdout.trim())}`);
      }
      if ([...sessions.values()].every((count) => count === 0)) return;
      const left = deadline - this.clock.now().getTime();
      if (left <= 0 || signal?.aborted) return;
      await this.clock.sleep(Math.min(DRAIN_POLL_INTERVAL_MS, left), signal);
      if (signal?.aborted) return;
    }
  }
}
