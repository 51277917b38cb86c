import type { Clock } from '../../common/clock';
import type { LoadBalancerConfig } from '../../rollout/domain';
import {
  haproxyRuntime,
  haproxyServerRef,
  moveAccepted,
  moveLines,
  runtimeAnswers,
  setStateLine,
  showStat,
  showStatLine,
} from '../../rollout/commands/haproxy-commands';
import type { RotationMember } from '../../rollout/ports/load-balancer.port';
import type { RemoteExecutor } from '../../rollout/ports/remote-executor.port';
import { currentSessions, parseShowStat, serverStatuses } from '../../rollout/commands/haproxy-stat';
import {
  DriverTarget,
  LoadBalancerDriver,
  LoadBalancerStep,
  RemoteSteps,
  capped,
  describeOutput,
} from './remote-steps';

type HaproxyConfig = Extract<LoadBalancerConfig, { type: 'haproxy' }>;

export const DRAIN_POLL_INTERVAL_MS = 250;

/**
 * Drives the runtime API: no reload, so no connection is reset. Each change to a batch is one connection to
 * the admin socket (one SSH exec), its commands one per line: HAProxy answers each in turn.
 */
export class HaproxyDriver implements LoadBalancerDriver<DriverTarget<HaproxyConfig>> {
  constructor(
    private readonly executor: RemoteExecutor,
    private readonly clock: Clock,
  ) {}

  /** Drains every leaving server and reads `show stat` in one exec; polls on while sessions remain. */
  async removeFromRotation(
    target: DriverTarget<HaproxyConfig>,
    _remaining: readonly RotationMember[],
    leaving: readonly RotationMember[],
    signal?: AbortSignal,
  ): Promise<void> {
    if (leaving.length === 0) return;
    const { config } = target;
    const steps = new RemoteSteps(this.executor, target.server, 'haproxy');
    const answers = await this.runtime(steps, 'drain', config, [
      ...leaving.map((member) => setStateLine(config.backend, member.serverName, 'drain')),
      showStatLine(config.backend),
    ]);
    this.mustBeAccepted(steps, 'drain', config, leaving, answers);
    await this.waitForNoSessions(
      steps,
      config,
      leaving.map((member) => member.serverName),
      answers[leaving.length] ?? '',
      signal,
    );
  }

  /** Sets every joining server ready and, when others serve too, reads `show stat` in the same exec. */
  async addToRotation(
    target: DriverTarget<HaproxyConfig>,
    all: readonly RotationMember[],
    joining: readonly RotationMember[],
  ): Promise<void> {
    if (joining.length === 0) return;
    const { config } = target;
    const steps = new RemoteSteps(this.executor, target.server, 'haproxy');
    const others = all.filter((member) => !joining.some((j) => j.serverId === member.serverId));
    const answers = await this.runtime(steps, 'ready', config, [
      ...joining.map((member) => setStateLine(config.backend, member.serverName, 'ready')),
      ...(others.length > 0 ? [showStatLine(config.backend)] : []),
    ]);
    this.mustBeAccepted(steps, 'ready', config, joining, answers);
    if (others.length > 0) await this.readyStrayMembers(steps, config, others, answers[joining.length] ?? '');
  }

  /**
   * Points each moved server line at its new address and keeps it ready, all in one exec; no line is
   * drained. HAProxy's sessions per line cannot tell the old address from the new one, so the old instances
   * get `drainSeconds`.
   */
  async moveInRotation(
    target: DriverTarget<HaproxyConfig>,
    _all: readonly RotationMember[],
    moved: readonly RotationMember[],
  ): Promise<void> {
    if (moved.length === 0) return;
    const { config } = target;
    const steps = new RemoteSteps(this.executor, target.server, 'haproxy');
    const answers = await this.runtime(
      steps,
      'set addr',
      config,
      moved.flatMap((member) => moveLines(config.backend, member.serverName, member.host, member.port)),
    );
    moved.forEach((member, i) => {
      const [addr = '', ready = ''] = answers.slice(2 * i, 2 * i + 2);
      if (!moveAccepted(addr) || ready !== '')
        throw steps.failure(
          'set addr',
          `${haproxyServerRef(config.backend, member.serverName)}: ${capped([addr, ready].join('\n').trim())}`,
        );
    });
    await this.clock.sleep(config.drainSeconds * 1000);
  }

  private async runtime(
    steps: RemoteSteps,
    step: LoadBalancerStep,
    config: HaproxyConfig,
    lines: string[],
  ): Promise<string[]> {
    const result = await steps.run(step, haproxyRuntime(config.socketPath, lines));
    const answers = runtimeAnswers(result.stdout, lines.length);
    if (answers === null)
      throw steps.failure(
        step,
        `HAProxy did not answer all ${lines.length} commands: ${describeOutput(result)}`,
      );
    return answers;
  }

  /** Every `set server … state` answered with an empty line; otherwise the first complaint, naming its server. */
  private mustBeAccepted(
    steps: RemoteSteps,
    step: LoadBalancerStep,
    config: HaproxyConfig,
    members: readonly RotationMember[],
    answers: string[],
  ): void {
    members.forEach((member, i) => {
      const answer = (answers[i] ?? '').trim();
      if (answer !== '')
        throw steps.failure(
          step,
          `${haproxyServerRef(config.backend, member.serverName)}: ${capped(answer)}`,
        );
    });
  }

  /**
   * HAProxy forgets runtime states on a restart (servers come back as the configuration says, often
   * MAINT), and a crashed rollout can leave one in DRAIN. Each addition therefore reads `show stat` along
   * with its ready and sets ready any member Rollout counts in rotation that HAProxy does not. Best effort:
   * the joining servers are already ready, so a failure here must not fail their batch.
   */
  private async readyStrayMembers(
    steps: RemoteSteps,
    config: HaproxyConfig,
    others: readonly RotationMember[],
    stat: string,
  ): Promise<void> {
    let statuses: Map<string, string>;
    try {
      statuses = serverStatuses(parseShowStat(stat), config.backend);
    } catch {
      return;
    }
    const strays = others.filter((member) => /^(MAINT|DRAIN)/.test(statuses.get(member.serverName) ?? ''));
    if (strays.length === 0) return;
    const answers = await this.runtime(
      steps,
      'ready',
      config,
      strays.map((member) => setStateLine(config.backend, member.serverName, 'ready')),
    );
    this.mustBeAccepted(steps, 'ready', config, strays, answers);
  }

  /**
   * Reads `firstStat` (sent with the drain), then polls `show stat` until no leaving server has a session,
   * `drainSeconds` have passed or `signal` aborts.
   */
  private async waitForNoSessions(
    steps: RemoteSteps,
    config: HaproxyConfig,
    serverNames: string[],
    firstStat: string,
    signal?: AbortSignal,
  ): Promise<void> {
    const deadline = this.clock.now().getTime() + config.drainSeconds * 1000;
    const command = showStat(config.socketPath, config.backend);
    let stat = firstStat;
    for (;;) {
      let sessions: Map<string, number>;
      try {
        sessions = currentSessions(parseShowStat(stat), config.backend, serverNames);
      } catch (error) {
        throw steps.failure('show stat', `${(error as Error).message}: ${capped(stat.trim())}`);
      }
      if ([...sessions.values()].every((count) => count === 0)) return;
      const left = deadline - this.clock.now().getTime();
      if (left <= 0 || signal?.aborted) return;
      await this.clock.sleep(Math.min(DRAIN_POLL_INTERVAL_MS, left), signal);
      if (signal?.aborted) return;
      stat = (await steps.run('show stat', command)).stdout;
    }
  }
}
