import type { BatchView, DeploymentView, InstanceEvent } from '../../src/rollout/domain';
import { RolloutEvents } from '../../src/rollout/ports';

export type EmittedEvent =
  | { name: 'deployment.updated' | 'deployment.finished'; payload: DeploymentView }
  | { name: 'batch.updated'; payload: BatchView & { deploymentId: number } }
  | { name: 'instance.updated'; payload: InstanceEvent };

/** Records every event in emission order. */
export class RecordingEvents extends RolloutEvents {
  readonly emitted: EmittedEvent[] = [];

  deploymentUpdated(deployment: DeploymentView): void {
    this.emitted.push({ name: 'deployment.updated', payload: structuredClone(deployment) });
  }

  batchUpdated(deploymentId: number, batch: BatchView): void {
    this.emitted.push({ name: 'batch.updated', payload: { ...structuredClone(batch), deploymentId } });
  }

  instanceUpdated(event: InstanceEvent): void {
    this.emitted.push({ name: 'instance.updated', payload: { ...event } });
  }

  deploymentFinished(deployment: DeploymentView): void {
    this.emitted.push({ name: 'deployment.finished', payload: structuredClone(deployment) });
  }

  /** `phase` of every instance event of one server, in order. */
  phases(serverId: number): string[] {
    return this.emitted.flatMap((e) =>
      e.name === 'instance.updated' && e.payload.serverId === serverId ? [e.payload.phase] : [],
    );
  }
}
