import { splitReference } from '../commands/docker-commands';
import type { InstanceState, RolloutContext, ServerTarget } from '../domain';
import type { RolloutStore } from '../ports';
import type { SwapResult } from './server-operations';

/**
 * What Rollout believes runs on each of the application's servers, in one place for one pass: every change
 * is saved to the store as it happens, so the next pass (or another worker) starts from it.
 */
export class FleetState {
  private readonly instances = new Map<number, InstanceState>();
  private readonly servers = new Map<number, ServerTarget>();

  constructor(
    private readonly context: RolloutContext,
    private readonly store: RolloutStore,
  ) {
    for (const instance of context.instances) this.instances.set(instance.serverId, { ...instance });
    for (const server of context.servers) this.servers.set(server.id, server);
  }

  server(serverId: number): ServerTarget {
    const server = this.servers.get(serverId);
    if (!server) throw new Error(`Server ${serverId} of the batch is no longer registered`);
    return server;
  }

  instance(serverId: number): InstanceState {
    return (
      this.instances.get(serverId) ?? {
        serverId,
        image: null,
        tag: null,
        status: 'absent',
        inRotation: false,
        hostPort: this.context.application.hostPort,
        previousImage: null,
        previousTag: null,
      }
    );
  }

  /** The application's servers in rotation, in the application's order. */
  inRotation(): number[] {
    return this.context.application.serverIds.filter((id) => this.instance(id).inRotation);
  }

  /** Whether the server runs the version being deployed. */
  runsTarget(serverId: number): boolean {
    const instance = this.instance(serverId);
    const { image, tag } = this.context.deployment;
    return instance.status !== 'absent' && instance.image === image && instance.tag === tag;
  }

  setInRotation(serverId: number, inRotation: boolean): Promise<void> {
    return this.save(serverId, { inRotation });
  }

  setHostPort(serverId: number, hostPort: number): Promise<void> {
    return this.save(serverId, { hostPort });
  }

  /** The new version runs, out of rotation; `swap.previousReference` is kept as `<name>-previous`. */
  recordSwap(serverId: number, swap: SwapResult): Promise<void> {
    return this.recordUpdated(serverId, swap, false);
  }

  /** The new version runs on `swap.hostPort` (`start-first`: it took over in rotation from the old one). */
  recordUpdated(serverId: number, swap: SwapResult, inRotation: boolean): Promise<void> {
    const previous = swap.previousReference ? splitReference(swap.previousReference) : null;
    return this.save(serverId, {
      image: this.context.deployment.image,
      tag: this.context.deployment.tag,
      status: 'running',
      inRotation,
      hostPort: swap.hostPort,
      previousImage: previous?.image ?? null,
      previousTag: previous?.tag ?? null,
    });
  }

  /**
   * The previous container runs again under the application's name on `hostPort`: out of rotation until
   * probed, or already in rotation when it took over beside the new one.
   */
  recordRestored(serverId: number, hostPort: number, inRotation = false): Promise<void> {
    const before = this.instance(serverId);
    return this.save(serverId, {
      image: before.previousImage,
      tag: before.previousTag,
      status: 'running',
      inRotation,
      hostPort,
      previousImage: null,
      previousTag: null,
    });
  }

  /** There was no previous container: the new one was removed and nothing runs. */
  recordRemoved(serverId: number): Promise<void> {
    return this.save(serverId, {
      image: null,
      tag: null,
      status: 'absent',
      inRotation: false,
      previousImage: null,
      previousTag: null,
    });
  }

  private async save(serverId: number, patch: Partial<InstanceState>): Promise<void> {
    const next = { ...this.instance(serverId), ...patch, serverId };
    this.instances.set(serverId, next);
    await this.store.saveInstance(this.context.application.id, next);
  }
}
