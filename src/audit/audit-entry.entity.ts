import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { ApiTokenEntity } from '../auth/api-token.entity';
import { TeamEntity } from '../auth/team.entity';

/** One state-changing request: who (team, token), what (method, route pattern, target id), the outcome. */
@Entity({ name: 'audit_log' })
@Index(['teamId', 'id'])
export class AuditEntryEntity {
  @PrimaryGeneratedColumn()
  id: number;

  @Column({ name: 'team_id', type: 'int' })
  teamId: number;

  @ManyToOne(() => TeamEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'team_id' })
  team?: TeamEntity;

  @Column({ name: 'token_id', type: 'int', nullable: true })
  tokenId: number | null;

  @ManyToOne(() => ApiTokenEntity, { onDelete: 'SET NULL' })
  @JoinColumn({ name: 'token_id' })
  token?: ApiTokenEntity;

  @Column({ type: 'timestamptz', default: () => 'now()' })
  at: Date;

  @Column({ type: 'text' })
  method: string;

  @Column({ type: 'text' })
  route: string;

  @Column({ name: 'target_id', type: 'int', nullable: true })
  targetId: number | null;

  @Column({ name: 'status_code', type: 'int' })
  statusCode: number;
}
