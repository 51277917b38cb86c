import { mapWithConcurrency } from '../../common/concurrency';
import type { BatchRecord } from '../domain';
import { onceOnly } from '../../common/once';
import { messageOf, putBackFailedReason } from '../planning/reasons';
import { probeNew, type ServerResult, startFailed } from './batch-steps';
import type { RolloutPass } from './rollout-pass';
import type { SwapResult } from './server-operations';

type Start =
  | { serverId: number; beside: SwapResult }
  | { serverId: number; swapped: true }
  | { serverId: number; error: string; besideFailed: boolean };

const KEPT_SERVING = 'New container removed; the previous one kept serving';

/**
 * Steps 3–6 of a `start-first` batch. On a server in rotation the new container starts beside the old one
 * on the other port, is probed there, and the load balancer moves to it; the old one then stops (after its
 * drain) and is kept as `<name>-previous`. No server leaves rotation: a new container that fails is removed
 * and the old one never stopped serving. A server with nothing serving (a first deployment, a stopped
 * container, one out of rotation) gets the stop-first swap. Unhealthy results not yet `settled` are
 * restored by the caller.
 */
export async function startFirstSteps(pass: RolloutPass, batch: BatchRecord): Promise<ServerResult[]> {
  const { recorder, deployment, fleet } = pass;
  const n = batch.batchNumber;
  const limit = pass.settings.batchConcurrency;
  const reference = `${deployment.image}:${deployment.tag}`;

  // Each new instance is probed as soon as it started; the batch counts as health checking from the first.
  const healthChecking = onceOnly(() => recorder.batch(batch.id, { status: 'health_checking' }));
  const outcomes = await mapWithConcurrency(batch.serverIds, limit, async (serverId) => {
    const start = await startOne(pass, n, serverId, reference);
    await healthChecking();
    return { start, result: await probeStarted(pass, n, start) };
  });
  const starts = outcomes.map((o) => o.start);
  const results = outcomes.map((o) => o.result);

  const besides = new Map(starts.flatMap((s) => ('beside' in s ? [[s.serverId, s.beside] as const] : [])));
  const healthyBeside = results.filter((r) => r.healthy && besides.has(r.serverId));
  const healthyOthers = results.filter((r) => r.healthy && !besides.has(r.serverId));
  await moveToNew(pass, n, healthyBeside, besides);
  const joining = healthyOthers.filter((r) => !fleet.instance(r.serverId).inRotation);
  try {
    await pass.rotation.putBack(
      joining.map((r) => r.serverId),
      n,
    );
  } catch (error) {
    for (const result of joining) fail(result, putBackFailedReason(server(pass, result), error));
  }
  // Swapped in place while in rotation (nothing served): they never left it; putBack announced the others.
  for (const result of healthyOthers.filter((r) => !joining.includes(r))) {
    await recorder.phase(n, result.serverId, 'in_rotation', 'In rotation');
  }
  return results;
}

/** The new container beside the old one, or the stop-first swap where nothing serves to start beside. */
async function startOne(pass: RolloutPass, n: number, serverId: number, reference: string): Promise<Start> {
  const { recorder, deployment, fleet } = pass;
  const operations = pass.operations(fleet.server(serverId));
  const serving = fleet.instance(serverId).inRotation;
  let besideFailed = false;
  try {
    if (serving) {
      await recorder.phase(n, serverId, 'starting', `Starting ${reference} beside the running container`);
      besideFailed = true;
      const beside = await operations.startBeside(deployment.image, deployment.tag);
      besideFailed = false;
      if (beside) return { serverId, beside };
    } else {
      await recorder.phase(n, serverId, 'starting', `Starting ${reference}`);
    }
    const swap = await operations.swap(deployment.image, deployment.tag);
    await fleet.recordUpdated(serverId, swap, serving);
    return { serverId, swapped: true };
  } catch (error) {
    return { serverId, error: messageOf(error), besideFailed };
  }
}

/** The probe of what `startOne` started; a failed new container beside the old one is removed at once. */
async function probeStarted(pass: RolloutPass, n: number, start: Start): Promise<ServerResult> {
  if ('error' in start) {
    const result = await startFailed(pass, n, start.serverId, start.error);
    return start.besideFailed ? { ...result, settled: await keepOld(pass, n, start.serverId) } : result;
  }
  const server = pass.fleet.server(start.serverId);
  const result = await probeNew(pass, n, server, 'beside' in start ? start.beside.hostPort : undefined);
  if (!result.healthy && 'beside' in start) result.settled = await keepOld(pass, n, start.serverId);
  return result;
}

/** The load balancer moves to the new containers; then each old one stops and becomes the previous. */
async function moveToNew(
  pass: RolloutPass,
  batchNumber: number,
  healthy: ServerResult[],
  besides: Map<number, SwapResult>,
): Promise<void> {
  if (healthy.length === 0) return;
  const moves = healthy.map((r) => ({ serverId: r.serverId, hostPort: besides.get(r.serverId)!.hostPort }));
  try {
    await pass.rotation.move(moves);
  } catch (error) {
    for (const result of healthy) {
      fail(result, putBackFailedReason(server(pass, result), error));
      result.settled = await keepOld(pass, batchNumber, result.serverId);
    }
    return;
  }
  await mapWithConcurrency(healthy, pass.settings.batchConcurrency, async (result) => {
    const id = result.serverId;
    try {
      await pass.operations(pass.fleet.server(id)).finishBeside();
      await pass.fleet.recordUpdated(id, besides.get(id)!, true);
      await pass.recorder.phase(batchNumber, id, 'in_rotation', 'In rotation');
    } catch (error) {
      // The new container serves, the old one could not be retired: nothing more is changed on a guess.
      const reason = `${server(pass, result)}: the new version serves but the old container could not be retired: ${messageOf(error)}`;
      fail(result, reason);
      result.settled = { restored: false, reason };
      await pass.recorder.phase(batchNumber, id, 'unhealthy', reason);
    }
  });
}

/** A new container started beside the old one failed: it goes; the old one never stopped serving. */
async function keepOld(pass: RolloutPass, batchNumber: number, serverId: number) {
  try {
    await pass.operations(pass.fleet.server(serverId)).discardNext();
  } catch (error) {
    const reason = `${pass.fleet.server(serverId).name}: the new container could not be removed (${messageOf(error)}); the previous one kept serving`;
    await pass.recorder.phase(batchNumber, serverId, 'rolled_back', reason);
    return { restored: true, reason };
  }
  await pass.recorder.phase(batchNumber, serverId, 'rolled_back', KEPT_SERVING);
  return { restored: true, reason: null };
}

function fail(result: ServerResult, reason: string): void {
  result.healthy = false;
  result.reason = reason;
}

function server(pass: RolloutPass, result: ServerResult): string {
  return pass.fleet.server(result.serverId).name;
}
