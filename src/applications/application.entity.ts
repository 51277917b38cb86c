import {
  Check,
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  OneToMany,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
} from 'typeorm';
import { TeamEntity } from '../auth/team.entity';
import type { LoadBalancerConfig } from '../rollout/domain';
import { ServerEntity } from '../servers/server.entity';
import { ApplicationServerEntity } from './application-server.entity';

@Entity({ name: 'applications' })
@Check('applications_secret_env_check', `(secret_env_encrypted IS NULL) = (secret_env_keys = '[]'::jsonb)`)
@Check(
  'applications_alternate_host_port_check',
  `alternate_host_port BETWEEN 1 AND 65535 AND alternate_host_port <> host_port`,
)
@Check('applications_stop_timeout_check', `stop_timeout BETWEEN 0 AND 3600`)
@Check(
  'applications_min_free_check',
  `min_free_memory_mb BETWEEN 0 AND 1000000000 AND min_free_disk_mb BETWEEN 0 AND 1000000000`,
)
@Index(['teamId', 'name'], { unique: true })
export class ApplicationEntity {
  @PrimaryGeneratedColumn()
  id: number;

  @Column({ name: 'team_id', type: 'int' })
  teamId: number;

  @ManyToOne(() => TeamEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'team_id' })
  team?: TeamEntity;

  @Column({ type: 'text' })
  name: string;

  @Column({ name: 'docker_image', type: 'text' })
  image: string;

  @Column({ name: 'docker_tag', type: 'text' })
  tag: string;

  @Column({ name: 'container_port', type: 'int' })
  containerPort: number;

  @Column({ name: 'host_port', type: 'int' })
  hostPort: number;

  /** Where a `start-first` swap starts the new container beside the old one. */
  @Column({ name: 'alternate_host_port', type: 'int' })
  alternateHostPort: number;

  @Column({ type: 'jsonb', default: {} })
  env: Record<string, string>;

  /**
   * `secretEnv` as one JSON object sealed with APP_KEY and bound to this row (secret-box `v2:…`); null when
   * there is none. Never selected unless asked for, never leaves the service.
   */
  @Column({ name: 'secret_env_encrypted', type: 'text', nullable: true, select: false })
  secretEnvEncrypted: string | null;

  /** The names in `secretEnv`, sorted: what the API shows of it. */
  @Column({ name: 'secret_env_keys', type: 'jsonb', default: [] })
  secretEnvKeys: string[];

  @Column({ name: 'health_check_path', type: 'text', default: '/health' })
  healthCheckPath: string;

  /** Whole seconds given to the old container on `docker stop -t`. */
  @Column({ name: 'stop_timeout', type: 'int', default: 10 })
  stopTimeout: number;

  /** Capacity a server must have before a batch starts on it. */
  @Column({ name: 'min_free_memory_mb', type: 'int', default: 256 })
  minFreeMemoryMb: number;

  @Column({ name: 'min_free_disk_mb', type: 'int', default: 1024 })
  minFreeDiskMb: number;

  @Column({ name: 'docker_data_path', type: 'text', default: '/var/lib/docker' })
  dockerDataPath: string;

  /** The whole `loadBalancer` object of the contract; `serverId` is also kept as a foreign key below. */
  @Column({ name: 'load_balancer', type: 'jsonb' })
  loadBalancer: LoadBalancerConfig;

  @Column({ name: 'load_balancer_server_id', type: 'int', nullable: true })
  loadBalancerServerId: number | null;

  /** A server that runs an application's load balancer cannot be deleted. */
  @ManyToOne(() => ServerEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'load_balancer_server_id' })
  loadBalancerServer?: ServerEntity | null;

  @OneToMany(() => ApplicationServerEntity, (link) => link.application, { cascade: true })
  serverLinks?: ApplicationServerEntity[];

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
