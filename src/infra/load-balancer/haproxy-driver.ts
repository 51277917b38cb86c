import type { Clock } from '../../common/clock';
import { isHaproxyName } from '../../common/validation/rules';
import type { LoadBalancerConfig } from '../../rollout/domain';
import { haproxyRuntime } from '../../rollout/commands/file-commands';
import type { RotationMember } from '../../rollout/ports/load-balancer.port';
import type { RemoteExecutor } from '../../rollout/ports/remote-executor.port';
import { currentSessions, parseShowStat, serverStatuses } from '../../rollout/commands/haproxy-stat';
import { UnsafeConfigValueError } from '../../rollout/commands/proxy-names';
import { DriverTarget, LoadBalancerDriver, LoadBalancerStep, RemoteSteps, capped } from './remote-steps';

type HaproxyConfig = Extract<LoadBalancerConfig, { type: 'haproxy' }>;

export const DRAIN_POLL_INTERVAL_MS = 250;

/** Drives the runtime API: no reload, so no connection is reset. */
export class HaproxyLoadBalancer implements LoadBalancerDriver<DriverTarget<HaproxyConfig>> {
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
      const result = await steps.run('show stat', this.showStat(config));
      statuses = serverStatuses(parseShowStat(result.stdout), config.backend);
    } catch {
      return;
    }
    for (const member of others) {
      const status = statuses.get(member.serverName) ?? '';
      if (/^(MAINT|DRAIN)/.test(status)) await this.setState(steps, config, member, 'ready');
    }
  }

  private showStat(config: HaproxyConfig) {
    return haproxyRuntime(config.socketPath, [`show stat ${haproxyName(config.backend)} 4 -1`]);
  }

  private async setState(
    steps: RemoteSteps,
    config: HaproxyConfig,
    member: RotationMember,
    state: 'drain' | 'ready',
  ): Promise<void> {
    const server = `${haproxyName(config.backend)}/${haproxyName(member.serverName)}`;
    const step: LoadBalancerStep = state;
    const result = await steps.run(
      step,
      haproxyRuntime(config.socketPath, [`set server ${server} state ${state}`]),
    );
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
    const command = this.showStat(config);
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

function haproxyName(name: string): string {
  if (!isHaproxyName(name))
    throw new UnsafeConfigValueError(`not a valid HAProxy name: ${JSON.stringify(name)}`);
  return name;
}
