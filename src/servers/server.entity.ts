import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
} from 'typeorm';
import { TeamEntity } from '../auth/team.entity';

@Entity({ name: 'servers' })
@Index(['teamId', 'name'], { unique: true })
export class ServerEntity {
  @PrimaryGeneratedColumn()
  id: number;

  @Column({ name: 'team_id', type: 'int' })
  teamId: number;

  @ManyToOne(() => TeamEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'team_id' })
  team?: TeamEntity;

  @Column({ type: 'text' })
  name: string;

  @Column({ type: 'text' })
  host: string;

  @Column({ type: 'int', default: 22 })
  port: number;

  @Column({ name: 'username', type: 'text', default: 'root' })
  user: string;

  /** AES-256-GCM with APP_KEY: `v1:<iv>:<tag>:<ciphertext>`, base64 parts. Never leaves the service. */
  @Column({ name: 'private_key_encrypted', type: 'text', select: false })
  privateKeyEncrypted: string;

  @Column({ name: 'host_key_fingerprint', type: 'text', nullable: true })
  hostKeyFingerprint: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
