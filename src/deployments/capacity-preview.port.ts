import type { UpdateOrder } from '../rollout/domain';

/** The capacity check of every server, for the plan preview (the rollout checks again before each batch). */
export abstract class CapacityPreview {
  /**
   * One line per server of the deployment's application that lacks room for the new container, or whose
   * check could not run; empty when all have room. Never throws.
   */
  abstract shortages(deploymentId: number, order: UpdateOrder): Promise<string[]>;
}
