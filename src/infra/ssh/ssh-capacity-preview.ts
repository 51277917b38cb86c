import { Injectable } from '@nestjs/common';
import { mapWithConcurrency } from '../../common/concurrency';
import { AppConfig } from '../../config/app-config';
import { CapacityPreview } from '../../deployments/capacity-preview.port';
import type { UpdateOrder } from '../../rollout/domain';
import { ServerOperations } from '../../rollout/engine/server-operations';
import { capacityShortage } from '../../rollout/planning/capacity';
import { messageOf } from '../../rollout/planning/reasons';
import { RemoteExecutor, RolloutStore } from '../../rollout/ports';

/** Reads each server's free memory and disk over SSH, as the rollout does before a batch. */
@Injectable()
export class SshCapacityPreview extends CapacityPreview {
  constructor(
    private readonly store: RolloutStore,
    private readonly executor: RemoteExecutor,
    private readonly config: AppConfig,
  ) {
    super();
  }

  async shortages(deploymentId: number, order: UpdateOrder): Promise<string[]> {
    const { application, servers } = await this.store.loadContext(deploymentId);
    const found = await mapWithConcurrency(servers, this.config.batchConcurrency, async (server) => {
      try {
        const figures = await new ServerOperations(
          this.executor,
          server,
          application,
          deploymentId,
        ).capacity();
        return capacityShortage({ serverName: server.name, figures, required: application, order });
      } catch (error) {
        return messageOf(error);
      }
    });
    return found.filter((line): line is string => line !== null);
  }
}
