import type { Clock } from '../../common/clock';
import type { LoadBalancerConfig } from '../../rollout/domain';
import { atomicWriteFile } from '../../rollout/commands/file-commands';
import type { RotationMember } from '../../rollout/ports/load-balancer.port';
import type { RemoteExecutor } from '../../rollout/ports/remote-executor.port';
import { DriverTarget, LoadBalancerDriver, RemoteSteps } from './remote-steps';
import { renderTraefikConfig } from '../../rollout/commands/traefik-config';

type TraefikConfig = Extract<LoadBalancerConfig, { type: 'traefik' }>;

/**
 * Traefik applies a changed file only after `providersThrottleDuration` (2 s by default), and it does not
 * drain removed servers: a removal waits for both before the instance may stop.
 */
export const TRAEFIK_APPLY_DELAY_MS = 2000;

export class TraefikDriver implements LoadBalancerDriver<DriverTarget<TraefikConfig>> {
  constructor(
    private readonly executor: RemoteExecutor,
    private readonly clock: Clock,
  ) {}

  async removeFromRotation(
    target: DriverTarget<TraefikConfig>,
    remaining: readonly RotationMember[],
    leaving: readonly RotationMember[],
    signal?: AbortSignal,
  ): Promise<void> {
    await this.write(target, remaining);
    if (leaving.length > 0)
      await this.clock.sleep(TRAEFIK_APPLY_DELAY_MS + target.config.drainSeconds * 1000, signal);
  }

  async addToRotation(target: DriverTarget<TraefikConfig>, all: readonly RotationMember[]): Promise<void> {
    await this.write(target, all);
  }

  /** The new URLs replace the old ones in one write; the old instances keep serving until it applies. */
  async moveInRotation(
    target: DriverTarget<TraefikConfig>,
    all: readonly RotationMember[],
    moved: readonly RotationMember[],
  ): Promise<void> {
    await this.write(target, all);
    if (moved.length > 0) await this.clock.sleep(TRAEFIK_APPLY_DELAY_MS + target.config.drainSeconds * 1000);
  }

  private async write(
    target: DriverTarget<TraefikConfig>,
    members: readonly RotationMember[],
  ): Promise<void> {
    const content = renderTraefikConfig({
      application: target.application,
      domain: target.config.domain,
      members,
    });
    await new RemoteSteps(this.executor, target.server, 'traefik').run(
      'write',
      atomicWriteFile(target.config.configPath, content),
    );
  }
}
