/**
 * The shapes of the API's answers that the client reads (CONTRACT.md). Only the fields the client uses are
 * listed; the rest is passed through untouched to `--json`, so newer servers keep working.
 */

export interface ServerJson {
  id: number;
  name: string;
  host: string;
  port: number;
  user: string;
  hostKeyFingerprint: string | null;
}

export interface LoadBalancerJson {
  type: string;
  serverId?: number;
}

export interface ApplicationJson {
  id: number;
  name: string;
  image: string;
  tag: string;
  containerPort: number;
  hostPort: number;
  healthCheckPath: string;
  serverIds: number[];
  loadBalancer: LoadBalancerJson;
}

export interface InstanceJson {
  serverId: number;
  image: string | null;
  tag: string | null;
  status: string;
  inRotation: boolean;
  hostPort?: number;
}

export interface DeploymentJson {
  id: number;
  applicationId: number;
  status: string;
  image: string;
  tag: string;
  previousImage: string | null;
  previousTag: string | null;
  totalBatches: number;
  completedBatches: number;
  failedBatches: number;
  failureReason: string | null;
  createdAt: string;
  startedAt: string | null;
  completedAt: string | null;
}

export interface HealthCheckResultJson {
  healthy: boolean;
  statusCode?: number | null;
  attempts?: number;
  message?: string;
}

export interface BatchJson {
  id?: number;
  deploymentId?: number;
  batchNumber: number;
  totalBatches: number;
  serverIds: number[];
  status: string;
  failureReason: string | null;
  healthCheckResults?: Record<string, HealthCheckResultJson>;
}

/** One entry of `GET /api/deployments/:id/events`; `serverId` is null for a deployment-level note. */
export interface TimelineEventJson {
  id: number;
  at?: string;
  batchNumber: number | null;
  serverId: number | null;
  phase: string;
  message: string;
}

/** The payload of socket.io's `instance.updated`. */
export interface InstanceUpdateJson extends TimelineEventJson {
  deploymentId: number;
}

export interface PlanJson {
  batches: { batchNumber: number; serverIds: number[] }[];
  minimumInRotation: number;
  estimatedSeconds: number;
  warnings: string[];
}

export const FINAL_STATUSES: readonly string[] = [
  'completed',
  'completed_with_errors',
  'failed',
  'rolled_back',
  'rollback_failed',
  'cancelled',
];

export function isFinalStatus(status: string): boolean {
  return FINAL_STATUSES.includes(status);
}
