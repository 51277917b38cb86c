import { CapacityPreview } from '../../src/deployments/capacity-preview.port';
import type { UpdateOrder } from '../../src/rollout/domain';

/** Records each capacity preview asked for and answers `report` (nothing short by default). */
export class RecordingCapacityPreview extends CapacityPreview {
  readonly asked: { deploymentId: number; order: UpdateOrder }[] = [];
  report: string[] = [];

  shortages(deploymentId: number, order: UpdateOrder): Promise<string[]> {
    this.asked.push({ deploymentId, order });
    return Promise.resolve([...this.report]);
  }
}
