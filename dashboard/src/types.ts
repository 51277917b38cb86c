/** The API's JSON as the contract names it; only the fields the dashboard reads. */

export type DeploymentStatus =
  | 'pending'
  | 'queued'
  | 'in_progress'
  | 'paused'
  | 'completed'
  | 'completed_with_errors'
  | 'failed'
  | 'rolled_back'
  | 'rollback_failed'
  | 'cancelled';

export type BatchStatus =
  'pending' | 'in_progress' | 'health_checking' | 'completed' | 'failed' | 'rolled_back';

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

export interface Server {
  id: number;
  name: string;
  host: string;
  port: number;
}

export interface Application {
  id: number;
  name: string;
  image: string;
  tag: string;
  hostPort: number;
  healthCheckPath: string;
  serverIds: number[];
  loadBalancer: { type: string };
}

export interface Instance {
  serverId: number;
  image: string | null;
  tag: string | null;
  status: string;
  inRotation: boolean;
  hostPort?: number;
}

export interface Deployment {
  id: number;
  applicationId: number;
  status: DeploymentStatus;
  image: string;
  tag: string;
  previousImage: string | null;
  previousTag: string | null;
  batchSize: number;
  batchSizeIsPercentage: boolean;
  totalBatches: number | null;
  completedBatches: number;
  failedBatches: number;
  failureReason: string | null;
  createdAt: string;
  startedAt: string | null;
  completedAt: string | null;
}

export interface HealthCheckResult {
  healthy: boolean;
  statusCode: number | null;
  attempts: number;
  elapsedMs: number;
  message: string;
}

export interface Batch {
  id: number;
  batchNumber: number;
  totalBatches: number;
  serverIds: number[];
  status: BatchStatus;
  startedAt: string | null;
  completedAt: string | null;
  healthCheckResults: Record<string, HealthCheckResult>;
  failureReason: string | null;
}

/** One step of the timeline: `GET /api/deployments/:id/events` and, for a server, `instance.updated`. */
export interface TimelineEvent {
  id: number;
  at: string;
  batchNumber: number | null;
  serverId: number | null;
  phase: string;
  message: string;
}

/** socket.io `instance.updated`. */
export interface InstanceUpdate {
  id?: number;
  deploymentId: number;
  batchNumber: number;
  serverId: number;
  phase: InstancePhase;
  message: string;
}

/** The body of `rolling-update` and `plan`: only what the person set; the API fills in the rest. */
export interface RollingUpdateBody {
  batchSize?: number;
  batchSizeIsPercentage?: boolean;
  waitInterval?: number;
  healthCheckPath?: string;
  healthCheckTimeout?: number;
  healthCheckInterval?: number;
  maxHealthCheckRetries?: number;
  minimumHealthyInstances?: number;
  autoRollbackOnFailure?: boolean;
  failureThreshold?: number;
  pauseAfterEachBatch?: boolean;
  order?: 'stop-first' | 'start-first';
}

export interface Plan {
  batches: { batchNumber: number; serverIds: number[] }[];
  minimumInRotation: number;
  estimatedSeconds: number;
  warnings: string[];
}
