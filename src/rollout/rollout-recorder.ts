import type { BatchView, DeploymentView, InstancePhase } from './domain';
import type { BatchPatch, DeploymentPatch, RolloutEvents, RolloutStore } from './ports';

/** Writes each step to Postgres first, then streams it: one place so the two never disagree. */
export class RolloutRecorder {
  constructor(
    private readonly store: RolloutStore,
    private readonly events: RolloutEvents,
    readonly deploymentId: number,
  ) {}

  async deployment(patch: DeploymentPatch): Promise<DeploymentView> {
    const view = await this.store.updateDeployment(this.deploymentId, patch);
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
      message,
      data: { status: view.status },
    });
    this.events.deploymentFinished(view);
    return view;
  }

  async batch(batchId: number, patch: BatchPatch): Promise<BatchView> {
    const view = await this.store.updateBatch(batchId, patch);
    this.events.batchUpdated(this.deploymentId, view);
    return view;
  }

  async batches(views: BatchView[]): Promise<void> {
    for (const view of views) this.events.batchUpdated(this.deploymentId, view);
  }

  async phase(batchNumber: number, serverId: number, phase: InstancePhase, message: string): Promise<void> {
    await this.store.appendEvent({
      deploymentId: this.deploymentId,
      batchNumber,
      serverId,
      type: phase,
      message,
    });
    this.events.instanceUpdated({ deploymentId: this.deploymentId, batchNumber, serverId, phase, message });
  }

  async note(type: string, message: string, data?: Record<string, unknown>): Promise<void> {
    await this.store.appendEvent({
      deploymentId: this.deploymentId,
      batchNumber: null,
      serverId: null,
      type,
      message,
      data,
    });
  }
}
