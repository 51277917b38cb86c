import {
  Check,
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
} from 'typeorm';
import { ApplicationEntity } from '../applications/application.entity';
import {
  ACTIVE_DEPLOYMENT_STATUSES,
  DEPLOYMENT_STATUSES,
  type DeploymentStatus,
  type DeploymentStrategyKind,
  UPDATE_ORDERS,
  type UpdateOrder,
} from '../rollout/domain';
import { sqlList } from '../database/sql-list';

const float = { type: 'double precision' } as const;
const STRATEGIES: readonly DeploymentStrategyKind[] = ['simple', 'rolling', 'blue_green', 'canary'];

/**
 * One deployment and its rolling-update configuration. A partial unique index (see the migration)
 * allows at most one `queued`, `in_progress` or `paused` deployment per application.
 */
@Entity({ name: 'deployments' })
@Index('idx_deployments_application_created', ['applicationId', 'createdAt'])
@Index('deployments_one_active_per_application', ['applicationId'], {
  unique: true,
  where: `status IN (${sqlList(ACTIVE_DEPLOYMENT_STATUSES)})`,
})
@Check('deployments_status_check', `status IN (${sqlList(DEPLOYMENT_STATUSES)})`)
@Check('deployments_deployment_strategy_check', `deployment_strategy IN (${sqlList(STRATEGIES)})`)
@Check('deployments_update_order_check', `update_order IN (${sqlList(UPDATE_ORDERS)})`)
export class DeploymentEntity {
  @PrimaryGeneratedColumn()
  id: number;

  @Column({ name: 'application_id', type: 'int' })
  applicationId: number;

  @ManyToOne(() => ApplicationEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'application_id' })
  application?: ApplicationEntity;

  @Column({ name: 'deployment_strategy', type: 'text', default: 'rolling' })
  strategy: DeploymentStrategyKind;

  @Column({ type: 'text', default: 'pending' })
  status: DeploymentStatus;

  @Column({ name: 'docker_image', type: 'text' })
  image: string;

  @Column({ name: 'docker_tag', type: 'text' })
  tag: string;

  @Column({ name: 'previous_docker_image', type: 'text', nullable: true })
  previousImage: string | null;

  @Column({ name: 'previous_docker_tag', type: 'text', nullable: true })
  previousTag: string | null;

  /** Set on deployments created by `POST /api/deployments/:id/rollback`. */
  @Column({ name: 'rollback_of_deployment_id', type: 'int', nullable: true })
  rollbackOfDeploymentId: number | null;

  @Column({ name: 'batch_size', type: 'int', default: 25 })
  batchSize: number;

  @Column({ name: 'batch_size_is_percentage', type: 'boolean', default: true })
  batchSizeIsPercentage: boolean;

  @Column({ name: 'wait_interval', ...float, default: 30 })
  waitInterval: number;

  @Column({ name: 'health_check_path', type: 'text', nullable: true })
  healthCheckPath: string | null;

  @Column({ name: 'health_check_timeout', ...float, default: 120 })
  healthCheckTimeout: number;

  @Column({ name: 'health_check_interval', ...float, default: 5 })
  healthCheckInterval: number;

  @Column({ name: 'max_health_check_retries', type: 'int', default: 10 })
  maxHealthCheckRetries: number;

  @Column({ name: 'minimum_healthy_instances', type: 'int', default: 1 })
  minimumHealthyInstances: number;

  @Column({ name: 'auto_rollback_on_failure', type: 'boolean', default: true })
  autoRollbackOnFailure: boolean;

  @Column({ name: 'failure_threshold', type: 'int', default: 2 })
  failureThreshold: number;

  @Column({ name: 'pause_after_each_batch', type: 'boolean', default: false })
  pauseAfterEachBatch: boolean;

  @Column({ name: 'success_threshold', type: 'int', default: 1 })
  successThreshold: number;

  @Column({ name: 'start_period', ...float, default: 0 })
  startPeriod: number;

  @Column({ name: 'min_ready_seconds', ...float, default: 0 })
  minReadySeconds: number;

  @Column({ name: 'progress_deadline', ...float, nullable: true })
  progressDeadline: number | null;

  @Column({ name: 'update_order', type: 'text', default: 'stop-first' })
  order: UpdateOrder;

  /** Set by `POST /api/deployments/:id/resume`: the progress deadline counts from here, not across a pause. */
  @Column({ name: 'resumed_at', type: 'timestamptz', nullable: true })
  resumedAt: Date | null;

  /** The worker running the rollout now; null when none has started it or the last one ended its run. */
  @Column({ name: 'run_owner', type: 'text', nullable: true })
  runOwner: string | null;

  /** How often a worker took the rollout over from one that stopped without ending its run. */
  @Column({ name: 'resume_count', type: 'int', default: 0 })
  resumeCount: number;

  @Column({ name: 'last_resumed_at', type: 'timestamptz', nullable: true })
  lastResumedAt: Date | null;

  @Column({ name: 'total_batches', type: 'int', default: 0 })
  totalBatches: number;

  @Column({ name: 'completed_batches', type: 'int', default: 0 })
  completedBatches: number;

  @Column({ name: 'failed_batches', type: 'int', default: 0 })
  failedBatches: number;

  @Column({ name: 'failure_reason', type: 'text', nullable: true })
  failureReason: string | null;

  /** Set by `POST /api/deployments/:id/cancel`; the status stays active (holding the slot) until the worker stops. */
  @Column({ name: 'cancel_requested_at', type: 'timestamptz', nullable: true })
  cancelRequestedAt: Date | null;

  /** Set by `POST /api/deployments/:id/pause` (or the gate after a batch); the worker pauses before its next batch. */
  @Column({ name: 'pause_requested_at', type: 'timestamptz', nullable: true })
  pauseRequestedAt: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'started_at', type: 'timestamptz', nullable: true })
  startedAt: Date | null;

  @Column({ name: 'completed_at', type: 'timestamptz', nullable: true })
  completedAt: Date | null;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
