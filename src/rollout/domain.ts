/** Domain types shared by the engine, its ports and the adapters. No framework imports. */

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

export type DeploymentStrategyKind = 'simple' | 'rolling' | 'blue_green' | 'canary';

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
}

export const DEFAULT_ROLLING_UPDATE: Omit<RollingUpdateOptions, 'healthCheckPath'> = {
  batchSize: 25,
  batchSizeIsPercentage: true,
  waitInterval: 30,
  healthCheckTimeout: 120,
  healthCheckInterval: 5,
  maxHealthCheckRetries: 10,
  minimumHealthyInstances: 1,
  autoRollbackOnFailure: true,
  failureThreshold: 2,
};

/** The deployment exactly as the API and socket.io show it (CONTRACT.md). */
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

/** A batch exactly as the API and socket.io show it (CONTRACT.md). */
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
}

export interface InstanceEvent {
  deploymentId: number;
  batchNumber: number;
  serverId: number;
  phase: InstancePhase;
  message: string;
}

/** Everything needed to open an SSH session. The private key is decrypted and lives only in memory. */
export interface ServerTarget {
  id: number;
  name: string;
  host: string;
  port: number;
  user: string;
  privateKey: string;
  hostKeyFingerprint: string | null;
}

export type LoadBalancerConfig =
  | { type: 'none' }
  | { type: 'traefik'; serverId: number; configPath: string; domain: string; drainSeconds: number }
  | {
      type: 'nginx';
      serverId: number;
      configPath: string;
      listenPort: number;
      domain: string | null;
      reloadCommand: string;
      testCommand: string;
      drainSeconds: number;
    }
  | { type: 'haproxy'; serverId: number; backend: string; socketPath: string; drainSeconds: number };

export type LoadBalancerType = LoadBalancerConfig['type'];

export interface ApplicationSpec {
  id: number;
  name: string;
  image: string;
  tag: string;
  containerPort: number;
  hostPort: number;
  env: Record<string, string>;
  /**
   * Decrypted secret env (absent: none). Only in the worker's memory: it reaches the container through an
   * env file written over SSH's stdin, and is masked in everything recorded.
   */
  secretEnv?: Record<string, string>;
  healthCheckPath: string;
  serverIds: number[];
  loadBalancer: LoadBalancerConfig;
}

export type InstanceStatus = 'running' | 'stopped' | 'absent' | 'unknown';

/** What Rollout believes runs on one server for one application; the port is state, not a constant. */
export interface InstanceState {
  serverId: number;
  image: string | null;
  tag: string | null;
  status: InstanceStatus;
  inRotation: boolean;
  hostPort: number;
  /** The image:tag of the `<name>-previous` container kept on the server, when there is one. */
  previousImage: string | null;
  previousTag: string | null;
}

export interface RolloutContext {
  deployment: DeploymentView;
  /** Set by `POST /api/deployments/:id/cancel` while the rollout runs: no new batch starts. */
  cancelRequested: boolean;
  application: ApplicationSpec;
  /** The application's servers, in the order of `application.serverIds`. */
  servers: ServerTarget[];
  loadBalancerServer: ServerTarget | null;
  instances: InstanceState[];
  batches: BatchView[];
}
