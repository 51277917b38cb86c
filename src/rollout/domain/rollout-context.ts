import type { BatchRecord } from './batch';
import type { DeploymentRecord } from './deployment';
import type { ApplicationSpec, InstanceState, ServerTarget } from './fleet';

/** Everything one pass of a rollout reads from the store before it decides its next step. */
export interface RolloutContext {
  deployment: DeploymentRecord;
  /** Set by `POST /api/deployments/:id/cancel` while the rollout runs: no new batch starts. */
  cancelRequested: boolean;
  /** Set by `POST /api/deployments/:id/pause` or the gate after a batch: no new batch starts. */
  pauseRequested: boolean;
  /** When `POST …/resume` last resumed it (ISO 8601): the progress deadline restarts there. */
  resumedAt: string | null;
  application: ApplicationSpec;
  /** The application's servers, in the order of `application.serverIds`. */
  servers: ServerTarget[];
  loadBalancerServer: ServerTarget | null;
  instances: InstanceState[];
  batches: BatchRecord[];
}
