import { mapWithConcurrency } from '../../common/concurrency';
import type { BatchRecord } from '../domain';
import { leftOutReason, loadBalancerReason, messageOf } from '../planning/reasons';
import { onceOnly } from '../../common/once';
import {
  type BatchOutcome,
  failBatch,
  handBack,
  probeNew,
  type ServerResult,
  startFailed,
} from './batch-steps';
import type { RolloutPass } from './rollout-pass';

/**
 * Steps 3–6 of a `stop-first` batch: out of rotation and drained, the old container kept as
 * `<name>-previous` and the new one started on the same port, probed, the healthy ones put back.
 * Returns each server's result (the unhealthy ones are restored by the caller), or the batch's outcome when
 * it ended before the swap.
 */
export async function stopFirstSteps(
  pass: RolloutPass,
  batch: BatchRecord,
  handBackAllowed: boolean,
): Promise<ServerResult[] | BatchOutcome> {
  const { recorder, deployment, fleet, rotation } = pass;
  const n = batch.batchNumber;
  const serving = batch.serverIds.filter((id) => fleet.instance(id).inRotation);
  for (const id of serving) await recorder.phase(n, id, 'draining', 'Taking out of rotation and draining');
  try {
    // The drain wait ends on a cancel only when the batch can then be handed back: a swap must never
    // follow a drain cut short.
    await rotation.takeOut(batch.serverIds, handBackAllowed ? pass.cancel : undefined);
  } catch (error) {
    return failBatch(pass, batch, loadBalancerReason(error), batch.serverIds.length);
  }
  if (pass.cancel.aborted && handBackAllowed) return handBack(pass, batch, serving, 'while draining');

  // Each new instance is probed as soon as it started; the batch counts as health checking from the first.
  const healthChecking = onceOnly(() => recorder.batch(batch.id, { status: 'health_checking' }));
  const results = await mapWithConcurrency(batch.serverIds, pass.settings.batchConcurrency, async (id) => {
    const server = fleet.server(id);
    await recorder.phase(n, id, 'starting', `Starting ${deployment.image}:${deployment.tag}`);
    let swapError: string | null = null;
    try {
      await fleet.recordSwap(id, await pass.operations(server).swap(deployment.image, deployment.tag));
    } catch (error) {
      swapError = messageOf(error);
    }
    await healthChecking();
    return swapError !== null ? startFailed(pass, n, id, swapError) : probeNew(pass, n, server);
  });

  const healthy = results.filter((r) => r.healthy);
  try {
    await rotation.putBack(
      healthy.map((r) => r.serverId),
      n,
    );
  } catch (error) {
    for (const result of healthy) {
      result.healthy = false;
      result.reason = leftOutReason(fleet.server(result.serverId).name, error);
    }
  }
  return results;
}
