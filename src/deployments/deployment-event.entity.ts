import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryGeneratedColumn,
} from 'typeorm';
import { DeploymentEntity } from './deployment.entity';

/** The per-step log of a rollout, in the order the steps happened. */
@Entity({ name: 'deployment_events' })
@Index('idx_deployment_events_deployment', ['deploymentId', 'id'])
export class DeploymentEventEntity {
  @PrimaryGeneratedColumn()
  id: number;

  @Column({ name: 'deployment_id', type: 'int' })
  deploymentId: number;

  @ManyToOne(() => DeploymentEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'deployment_id' })
  deployment?: DeploymentEntity;

  @Column({ name: 'batch_number', type: 'int', nullable: true })
  batchNumber: number | null;

  @Column({ name: 'server_id', type: 'int', nullable: true })
  serverId: number | null;

  @Column({ type: 'text' })
  type: string;

  @Column({ type: 'text' })
  message: string;

  @Column({ type: 'jsonb', nullable: true })
  data: Record<string, unknown> | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
