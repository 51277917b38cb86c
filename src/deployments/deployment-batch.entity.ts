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
import {
  BATCH_STATUSES,
  type BatchStatus,
  type HealthCheckResult,
  type ServerOutcome,
} from '../rollout/domain';
import { sqlList } from '../database/sql-list';
import { DeploymentEntity } from './deployment.entity';

@Entity({ name: 'deployment_batches' })
@Index('idx_deployment_batches_deployment_number', ['deploymentId', 'batchNumber'], { unique: true })
@Index('idx_deployment_batches_status', ['status'])
@Check('deployment_batches_status_check', `status IN (${sqlList(BATCH_STATUSES)})`)
export class DeploymentBatchEntity {
  @PrimaryGeneratedColumn()
  id: number;

  @Column({ name: 'deployment_id', type: 'int' })
  deploymentId: number;

  @ManyToOne(() => DeploymentEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'deployment_id' })
  deployment?: DeploymentEntity;

  @Column({ name: 'batch_number', type: 'int' })
  batchNumber: number;

  @Column({ name: 'total_batches', type: 'int' })
  totalBatches: number;

  @Column({ name: 'server_ids', type: 'int', array: true })
  serverIds: number[];

  @Column({ name: 'target_instance_count', type: 'int' })
  targetInstanceCount: number;

  @Column({ type: 'text', default: 'pending' })
  status: BatchStatus;

  @Column({ name: 'started_at', type: 'timestamptz', nullable: true })
  startedAt: Date | null;

  @Column({ name: 'completed_at', type: 'timestamptz', nullable: true })
  completedAt: Date | null;

  @Column({ name: 'successful_instances', type: 'int', default: 0 })
  successfulInstances: number;

  @Column({ name: 'failed_instances', type: 'int', default: 0 })
  failedInstances: number;

  @Column({ name: 'health_check_results', type: 'jsonb', default: {} })
  healthCheckResults: Record<string, HealthCheckResult>;

  @Column({ name: 'failure_reason', type: 'text', nullable: true })
  failureReason: string | null;

  /** Outcomes recorded so far, by server id; a server not named is `untouched`. */
  @Column({ name: 'server_outcomes', type: 'jsonb', default: {} })
  serverOutcomes: Record<string, ServerOutcome>;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
