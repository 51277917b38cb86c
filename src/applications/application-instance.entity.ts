import { Check, Column, Entity, JoinColumn, ManyToOne, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import type { InstanceStatus } from '../rollout/domain';
import { sqlList } from '../database/sql-list';
import { ServerEntity } from '../servers/server.entity';
import { ApplicationEntity } from './application.entity';

const STATUSES: readonly InstanceStatus[] = ['running', 'stopped', 'absent', 'unknown'];

/** What Rollout believes runs on one server for one application, including whether it is in rotation. */
@Entity({ name: 'application_instances' })
@Check('application_instances_status_check', `status IN (${sqlList(STATUSES)})`)
export class ApplicationInstanceEntity {
  @PrimaryColumn({ name: 'application_id', type: 'int' })
  applicationId: number;

  @PrimaryColumn({ name: 'server_id', type: 'int' })
  serverId: number;

  @Column({ name: 'docker_image', type: 'text', nullable: true })
  image: string | null;

  @Column({ name: 'docker_tag', type: 'text', nullable: true })
  tag: string | null;

  @Column({ type: 'text', default: 'absent' })
  status: InstanceStatus;

  @Column({ name: 'in_rotation', type: 'boolean', default: false })
  inRotation: boolean;

  @Column({ name: 'host_port', type: 'int' })
  hostPort: number;

  @Column({ name: 'previous_docker_image', type: 'text', nullable: true })
  previousImage: string | null;

  @Column({ name: 'previous_docker_tag', type: 'text', nullable: true })
  previousTag: string | null;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;

  @ManyToOne(() => ApplicationEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'application_id' })
  application?: ApplicationEntity;

  @ManyToOne(() => ServerEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'server_id' })
  server?: ServerEntity;
}
