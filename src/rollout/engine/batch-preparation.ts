import { mapWithConcurrency } from '../../common/concurrency';
import type { BatchRecord, ServerTarget } from '../domain';
import { capacityShortage } from '../planning/capacity';
import { messageOf } from '../planning/reasons';
import type { RolloutPass } from './rollout-pass';

/** What stands between a batch and its swap: servers without room, pulls that failed (both as reasons). */
export interface Preparation {
  shortages: string[];
  pullErrors: string[];
}

/**
 * The capacity check and the pull of a batch's servers. Both leave every server serving as it was, so the
 * next batch's can run while the current one is swapped and probed (`BatchPreparations`).
 */
export async function prepareServers(
  pass: RolloutPass,
  servers: ServerTarget[],
  options: { checkCapacity: boolean; beforePull?: () => Promise<void> } = { checkCapacity: true },
): Promise<Preparation> {
  const limit = pass.settings.batchConcurrency;
  if (options.checkCapacity) {
    const shortages = await mapWithConcurrency(servers, limit, (server) => capacityProblem(pass, server));
    const short = shortages.filter((reason): reason is string => reason !== null);
    if (short.length > 0) return { shortages: short, pullErrors: [] };
  }
  await options.beforePull?.();
  const { image, tag } = pass.deployment;
  const pulls = await mapWithConcurrency(servers, limit, async (server) => {
    try {
      await pass.operations(server).pull(image, tag);
      return null;
    } catch (error) {
      return messageOf(error);
    }
  });
  return { shortages: [], pullErrors: pulls.filter((e): e is string => e !== null) };
}

/**
 * Preparations started ahead of their batch, in this worker only: a batch takes its own when it starts
 * (nothing is recorded before then), and a run that ends waits for any still going (`settle`), so no SSH
 * work outlives it. A crash loses them; the resumed batch prepares again.
 */
export class BatchPreparations {
  private readonly started = new Map<number, Promise<Preparation>>();

  /** Starts preparing the batch after `current`, if one is pending and none is started yet. */
  startNext(pass: RolloutPass, current: BatchRecord): void {
    const next = pass.context.batches
      .filter((b) => b.batchNumber > current.batchNumber && b.status === 'pending')
      .sort((a, b) => a.batchNumber - b.batchNumber)[0];
    if (!next || this.started.has(next.batchNumber) || pass.cancel.aborted) return;
    const servers = next.serverIds.map((id) => pass.fleet.server(id));
    this.started.set(
      next.batchNumber,
      prepareServers(pass, servers).catch((error: unknown) => ({
        shortages: [messageOf(error)],
        pullErrors: [],
      })),
    );
  }

  /** The preparation started for this batch, handed over once; undefined when none was. */
  take(batchNumber: number): Promise<Preparation> | undefined {
    const preparation = this.started.get(batchNumber);
    this.started.delete(batchNumber);
    return preparation;
  }

  async settle(): Promise<void> {
    await Promise.all(this.started.values());
    this.started.clear();
  }
}

/** Why the server has no room for the new container (or its check failed); null when it has. */
async function capacityProblem(pass: RolloutPass, server: ServerTarget): Promise<string | null> {
  const { application } = pass.context;
  try {
    const figures = await pass.operations(server).capacity();
    return capacityShortage({
      serverName: server.name,
      figures,
      required: application,
      order: pass.deployment.order,
    });
  } catch (error) {
    return messageOf(error);
  }
}
