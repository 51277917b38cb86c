import type {
  BatchStatus,
  BatchView,
  DeploymentStatus,
  DeploymentView,
  HealthCheckResult,
  InstancePhase,
  InstanceState,
  RolloutContext,
  ServerOutcome,
} from '../domain';

export interface DeploymentPatch {
  status?: DeploymentStatus;
  previousImage?: string | null;
  previousTag?: string | null;
  totalBatches?: number;
  completedBatches?: number;
  failedBatches?: number;
  failureReason?: string | null;
  startedAt?: Date | null;
  completedAt?: Date | null;
  pauseRequestedAt?: Date | null;
}

export interface BatchPatch {
  status?: BatchStatus;
  startedAt?: Date | null;
  completedAt?: Date | null;
  successfulInstances?: number;
  failedInstances?: number;
  healthCheckResults?: Record<string, HealthCheckResult>;
  failureReason?: string | null;
  /** Merged into the stored outcomes (servers not named keep theirs). */
  serverOutcomes?: Record<string, ServerOutcome>;
}

export interface PlannedBatch {
  batchNumber: number;
  serverIds: number[];
  targetInstanceCount: number;
}

/** The deployment-level steps the engine records besides instance phases. */
export type RolloutStep =
  | 'started'
  | 'waiting'
  | 'paused'
  | 'batch_cancelled'
  | 'fleet_rollback'
  | 'not_answering'
  | 'resumed'
  | 'handed_off'
  | 'finished';

export interface RolloutEventRecord {
  deploymentId: number;
  batchNumber: number | null;
  serverId: number | null;
  /** An instance phase, or a deployment-level step. */
  type: InstancePhase | RolloutStep;
  message: string;
  data?: Record<string, unknown>;
}

/** A watch on one deployment's cancel request; `close()` stops it (always call it). */
export interface CancelWatch {
  /** Aborts once a cancel of the deployment is recorded (by any API process), within about a second. */
  readonly signal: AbortSignal;
  close(): void;
}

/** Persistence of a rollout: every step is written before and after it runs. */
export abstract class RolloutStore {
  /** Deployment, application, decrypted servers, instances and batches; throws when the deployment is gone. */
  abstract loadContext(deploymentId: number): Promise<RolloutContext>;
  abstract updateDeployment(deploymentId: number, patch: DeploymentPatch): Promise<DeploymentView>;
  /** Creates the batches once; a second call returns the existing ones unchanged. */
  abstract ensureBatches(deploymentId: number, planned: PlannedBatch[]): Promise<BatchView[]>;
  abstract updateBatch(batchId: number, patch: BatchPatch): Promise<BatchView>;
  abstract saveInstance(applicationId: number, instance: InstanceState): Promise<void>;
  /** Records an event of the timeline; resolves to its id (increasing in the order events are recorded). */
  abstract appendEvent(event: RolloutEventRecord): Promise<number>;
  /** Watches for `POST /api/deployments/:id/cancel` while the rollout runs, so a long wait can end at once. */
  abstract watchCancel(deploymentId: number): CancelWatch;
  /**
   * Marks `owner` as the worker running the rollout. When another owner was marked (its run never ended:
   * killed, stopped, or its attempt failed), counts a resume and answers that owner; null otherwise, and
   * null without a change when the deployment is already final.
   */
  abstract claimRun(deploymentId: number, owner: string): Promise<{ previousOwner: string } | null>;
  /** Whether `owner` still runs the rollout (no other worker claimed it since). */
  abstract isRunOwner(deploymentId: number, owner: string): Promise<boolean>;
  /** The run of `owner` ended (finished or paused): the next worker starts afresh, not as a takeover. */
  abstract releaseRun(deploymentId: number, owner: string): Promise<void>;
  /** The team owning the deployment's application (read from the database); null when it is gone. */
  abstract teamOf(deploymentId: number): Promise<number | null>;
}
