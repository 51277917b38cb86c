/** A deployment: its statuses, its options and its two shapes (the engine's record, the API's view). */

export const DEPLOYMENT_STATUSES = [
  'pending',
  'queued',
  'in_progress',
  'paused',
  'completed',
  'completed_with_errors',
  'failed',
  'rolled_back',
  'rollback_failed',
  'cancelled',
] as const;
export type DeploymentStatus = (typeof DEPLOYMENT_STATUSES)[number];
export const FINAL_DEPLOYMENT_STATUSES: readonly DeploymentStatus[] = [
  'completed',
  'completed_with_errors',
  'failed',
  'rolled_back',
  'rollback_failed',
  'cancelled',
];
/** Statuses that hold the application's single rollout slot (enforced by a partial unique index). */
export const ACTIVE_DEPLOYMENT_STATUSES: readonly DeploymentStatus[] = ['queued', 'in_progress', 'paused'];

export type DeploymentStrategyKind = 'simple' | 'rolling' | 'blue_green' | 'canary';

/**
 * How the new container replaces the old one on a server: `stop-first` takes the server out of rotation
 * first; `start-first` starts the new one beside the old one on the other port, so capacity never dips.
 */
export const UPDATE_ORDERS = ['stop-first', 'start-first'] as const;
export type UpdateOrder = (typeof UPDATE_ORDERS)[number];

/**
 * The order when the request names none: an application on one server behind a load balancer would
 * otherwise go offline during the swap; without a load balancer nothing could follow the port change.
 */
export function defaultUpdateOrder(serverCount: number, loadBalancer: string): UpdateOrder {
  return serverCount === 1 && loadBalancer !== 'none' ? 'start-first' : 'stop-first';
}

/** Without a load balancer nothing would follow the new container to the other port. */
export const START_FIRST_NEEDS_A_LOAD_BALANCER =
  'order start-first needs a load balancer: the new container serves on the other port (alternateHostPort) and only the load balancer moves clients to it';

/** The options of `POST /api/deployments/:id/rolling-update`, with defaults applied. Durations in seconds. */
export interface RollingUpdateOptions {
  batchSize: number;
  batchSizeIsPercentage: boolean;
  waitInterval: number;
  healthCheckPath: string;
  healthCheckTimeout: number;
  healthCheckInterval: number;
  maxHealthCheckRetries: number;
  minimumHealthyInstances: number;
  autoRollbackOnFailure: boolean;
  failureThreshold: number;
  /** A manual gate: the rollout pauses after every batch until resumed. */
  pauseAfterEachBatch: boolean;
  /** Consecutive passing probes a new instance needs. */
  successThreshold: number;
  /** Seconds after a start during which failing probes do not count. */
  startPeriod: number;
  /** Seconds a new instance must keep passing before its batch completes (a bake time). */
  minReadySeconds: number;
  /** Seconds without a completed batch after which the rollout fails (and rolls back); null: none. */
  progressDeadline: number | null;
  order: UpdateOrder;
}

/** The defaults of the options; `order` depends on the application (`defaultUpdateOrder`). */
export const DEFAULT_ROLLING_UPDATE: Omit<RollingUpdateOptions, 'healthCheckPath' | 'order'> = {
  batchSize: 25,
  batchSizeIsPercentage: true,
  waitInterval: 30,
  healthCheckTimeout: 120,
  healthCheckInterval: 5,
  maxHealthCheckRetries: 10,
  minimumHealthyInstances: 1,
  autoRollbackOnFailure: true,
  failureThreshold: 2,
  pauseAfterEachBatch: false,
  successThreshold: 1,
  startPeriod: 0,
  minReadySeconds: 0,
  progressDeadline: null,
};

/** A deployment as the engine reads it: what to deploy, how, and how far the rollout got. */
export interface DeploymentRecord extends RollingUpdateOptions {
  id: number;
  status: DeploymentStatus;
  image: string;
  tag: string;
  /** The version it replaces (null on a first deployment); reasons name it. */
  previousTag: string | null;
  totalBatches: number;
  completedBatches: number;
  failedBatches: number;
  /** When the rollout first started (ISO 8601); null until then. */
  startedAt: string | null;
}

/**
 * The deployment exactly as the API and socket.io show it (README: "The API", "Live progress"). The engine
 * never reads it: it only hands what the store answers on to the events port.
 */
export interface DeploymentView extends RollingUpdateOptions {
  id: number;
  applicationId: number;
  strategy: DeploymentStrategyKind;
  status: DeploymentStatus;
  image: string;
  tag: string;
  previousImage: string | null;
  previousTag: string | null;
  totalBatches: number;
  completedBatches: number;
  failedBatches: number;
  failureReason: string | null;
  /** How often a worker took the rollout over after another stopped, and when last. */
  resumeCount: number;
  lastResumedAt: string | null;
  createdAt: string;
  startedAt: string | null;
  completedAt: string | null;
}
