import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, In } from 'typeorm';
import { DeploymentEntity } from '../../deployments/deployment.entity';

/** Deployments a worker must (re)start: queued, or left in progress by a process that stopped. */
@Injectable()
export class ResumableDeployments {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async ids(): Promise<number[]> {
    const rows = await this.dataSource.getRepository(DeploymentEntity).find({
      select: { id: true },
      where: { status: In(['queued', 'in_progress']) },
      order: { id: 'ASC' },
    });
    return rows.map((row) => row.id);
  }
}
