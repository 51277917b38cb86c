import { Column, Entity, JoinColumn, ManyToOne, PrimaryColumn, type Relation } from 'typeorm';
import { ServerEntity } from '../servers/server.entity';
import { ApplicationEntity } from './application.entity';

/** The servers of an application, in the order given at creation (batches follow it). */
@Entity({ name: 'application_servers' })
export class ApplicationServerEntity {
  @PrimaryColumn({ name: 'application_id', type: 'int' })
  applicationId: number;

  @PrimaryColumn({ name: 'server_id', type: 'int' })
  serverId: number;

  @Column({ type: 'int' })
  position: number;

  @ManyToOne(() => ApplicationEntity, (app) => app.serverLinks, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'application_id' })
  // Relation<> keeps the decorator metadata from touching ApplicationEntity during the circular import.
  application?: Relation<ApplicationEntity>;

  @ManyToOne(() => ServerEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'server_id' })
  server?: ServerEntity;
}
