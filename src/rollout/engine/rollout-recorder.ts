import type { BatchView, DeploymentView, InstancePhase } from '../domain';
import type { BatchPatch, DeploymentPatch, RolloutEvents, RolloutStep, RolloutStore } from '../ports';
import { SecretMask } from './secret-mask';

/** Another worker took the rollout over: this one must not touch anything more. */
export class FencedError extends Error {
  constructor(deploymentId: number, owner: string) {
    super(`Worker ${owner} no longer runs deployment ${deploymentId}: another worker took it over`);
    this.name = 'FencedError';
  }
}

/**
 * Writes each step to Postgres first, then streams it: one place so the two never disagree. Every text it
 * records passes through the application's secret mask (set by `maskSecrets` once the context is loaded).
 */
export class RolloutRecorder {
  private mask = SecretMask.none();
  private owner: string | null = null;

  constructor(
    private readonly store: RolloutStore,
    private readonly events: RolloutEvents,
    readonly deploymentId: number,
  ) {}

  maskSecrets(mask: SecretMask): void {
    this.mask = mask;
  }

  /**
   * From now on every write first checks that `owner` still runs the rollout; once another worker took it
   * over (this one was only slow: its lock lapsed), it throws FencedError instead. Every remote step is
   * preceded by a write (its phase), so a fenced worker stops before its next one.
   */
  fenceBy(owner: string): void {
    this.owner = owner;
  }

  private async checkFence(): Promise<void> {
    if (this.owner !== null && !(await this.store.isRunOwner(this.deploymentId, this.owner))) {
      throw new FencedError(this.deploymentId, this.owner);
    }
  }

  async deployment(patch: DeploymentPatch): Promise<DeploymentView> {
    await this.checkFence();
    const view = await this.store.updateDeployment(this.deploymentId, {
      ...patch,
      ...this.maskedReason(patch.failureReason),
    });
    this.events.deploymentUpdated(view);
    return view;
  }

  async finished(patch: DeploymentPatch, message: string): Promise<DeploymentView> {
    const view = await this.deployment(patch);
    await this.store.appendEvent({
      deploymentId: this.deploymentId,
      batchNumber: null,
      serverId: null,
      type: 'finished',
      message: this.mask.text(message),
      data: { status: view.status },
    });
    this.events.deploymentFinished(view);
    return view;
  }

  async batch(batchId: number, patch: BatchPatch): Promise<BatchView> {
    await this.checkFence();
    const view = await this.store.updateBatch(batchId, {
      ...patch,
      ...this.maskedReason(patch.failureReason),
      ...(patch.healthCheckResults && {
        healthCheckResults: Object.fromEntries(
          Object.entries(patch.healthCheckResults).map(([serverId, result]) => [
            serverId,
            { ...result, message: this.mask.text(result.message) },
          ]),
        ),
      }),
    });
    this.events.batchUpdated(this.deploymentId, view);
    return view;
  }

  /** Only free text is masked: a status or a tag that happened to equal a secret must stay what it is. */
  private maskedReason(reason: string | null | undefined): { failureReason?: string } {
    return typeof reason === 'string' ? { failureReason: this.mask.text(reason) } : {};
  }

  batches(views: BatchView[]): void {
    for (const view of views) this.events.batchUpdated(this.deploymentId, view);
  }

  async phase(batchNumber: number, serverId: number, phase: InstancePhase, text: string): Promise<void> {
    await this.checkFence();
    const message = this.mask.text(text);
    const id = await this.store.appendEvent({
      deploymentId: this.deploymentId,
      batchNumber,
      serverId,
      type: phase,
      message,
    });
    this.events.instanceUpdated({
      id,
      deploymentId: this.deploymentId,
      batchNumber,
      serverId,
      phase,
      message,
    });
  }

  async note(type: RolloutStep, message: string, data?: Record<string, unknown>): Promise<void> {
    await this.checkFence();
    await this.store.appendEvent({
      deploymentId: this.deploymentId,
      batchNumber: null,
      serverId: null,
      type,
      message: this.mask.text(message),
      data: this.mask.deep(data),
    });
  }
}
