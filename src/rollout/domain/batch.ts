/** A batch of servers updated together, the phases each server goes through, and what a probe found. */

export const BATCH_STATUSES = [
  'pending',
  'in_progress',
  'health_checking',
  'completed',
  'failed',
  'rolled_back',
] as const;
export type BatchStatus = (typeof BATCH_STATUSES)[number];

export const INSTANCE_PHASES = [
  'draining',
  'pulling',
  'starting',
  'health_checking',
  'healthy',
  'unhealthy',
  'rolling_back',
  'rolled_back',
  'in_rotation',
] as const;
export type InstancePhase = (typeof INSTANCE_PHASES)[number];

export interface HealthCheckResult {
  healthy: boolean;
  statusCode: number | null;
  attempts: number;
  elapsedMs: number;
  message: string;
}

/** A batch as the engine reads it. */
export interface BatchRecord {
  id: number;
  batchNumber: number;
  serverIds: number[];
  status: BatchStatus;
  /** ISO 8601; null until the batch first starts (and again when a cancel hands it back unchanged). */
  startedAt: string | null;
  /** ISO 8601; when the batch settled (the progress deadline counts from the last completed one). */
  completedAt: string | null;
  failureReason: string | null;
  /** By server id; a server not named is `untouched`. */
  serverOutcomes?: Record<string, ServerOutcome>;
}

/** What became of one server of a batch (`untouched` until the batch changed it). */
export const SERVER_OUTCOMES = ['updated', 'restored', 'restore_failed', 'untouched'] as const;
export type ServerOutcome = (typeof SERVER_OUTCOMES)[number];

/** A batch exactly as the API and socket.io show it (README: "The API", "Live progress"). */
export interface BatchView {
  id: number;
  batchNumber: number;
  totalBatches: number;
  serverIds: number[];
  targetInstanceCount: number;
  status: BatchStatus;
  startedAt: string | null;
  completedAt: string | null;
  successfulInstances: number;
  failedInstances: number;
  healthCheckResults: Record<string, HealthCheckResult>;
  failureReason: string | null;
  /** Every server of the batch, by id: `updated`, `restored`, `restore_failed` or `untouched`. */
  serverOutcomes: Record<string, ServerOutcome>;
  createdAt: string;
  updatedAt: string;
}

export interface InstanceEvent {
  /** The id of the recorded event (`GET /api/deployments/:id/events`), so a late subscriber can replay. */
  id: number;
  deploymentId: number;
  batchNumber: number;
  serverId: number;
  phase: InstancePhase;
  message: string;
}
