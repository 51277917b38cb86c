import { Module } from '@nestjs/common';
import { DatabaseModule } from '../../database/database.module';
import { HostKeyPinning } from '../../rollout/ports/remote-executor.port';
import { RolloutStore } from '../../rollout/ports/rollout-store.port';
import { ResumableDeployments } from './resumable-deployments';
import { TypeormHostKeyPinning } from './typeorm-host-key-pinning';
import { TypeormRolloutStore } from './typeorm-rollout-store';

/** The Postgres adapters of the rollout ports (the worker's RolloutStore, the SSH executor's HostKeyPinning). */
@Module({
  imports: [DatabaseModule],
  providers: [
    { provide: RolloutStore, useClass: TypeormRolloutStore },
    { provide: HostKeyPinning, useClass: TypeormHostKeyPinning },
    ResumableDeployments,
  ],
  exports: [RolloutStore, HostKeyPinning, ResumableDeployments],
})
export class PersistenceModule {}
