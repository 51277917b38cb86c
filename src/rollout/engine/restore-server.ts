import { messageOf, restoreErrorReason, restoreUnhealthyReason } from '../planning/reasons';
import type { RestoreOutcome } from './batch-steps';
import type { RolloutPass } from './rollout-pass';

/**
 * Step 6 for an unhealthy server (and the fleet rollback's way back): removes the new container, restarts
 * the previous one, probes it and puts it back into rotation. With `start-first`, a server still in rotation
 * goes back the same way it came: the previous container starts beside the current one on its own port, is
 * probed, and the load balancer moves to it, so the server never stops serving; when that is not possible
 * (no previous container, the same port) it is taken out of rotation first.
 */
export async function restoreServer(
  pass: RolloutPass,
  batchNumber: number,
  serverId: number,
): Promise<RestoreOutcome> {
  const { recorder, fleet } = pass;
  const server = fleet.server(serverId);
  await recorder.phase(batchNumber, serverId, 'rolling_back', 'Restoring the previous container');
  return failedAsRestore(pass, batchNumber, serverId, async () => {
    if (pass.deployment.order === 'start-first' && fleet.instance(serverId).inRotation) {
      const beside = await restoreBeside(pass, batchNumber, serverId);
      if (beside) return beside;
      await pass.rotation.takeOut([serverId]);
    }
    const { image, tag } = pass.deployment;
    const restored = await pass.operations(server).restorePrevious(image, tag);
    if (!restored) {
      await fleet.recordRemoved(serverId);
      await recorder.phase(batchNumber, serverId, 'rolled_back', 'No previous container: new one removed');
      return { restored: true, reason: null };
    }
    await fleet.recordRestored(serverId, restored.hostPort);
    return probeAndPutBack(pass, batchNumber, serverId);
  });
}

/**
 * A server already back on the previous version, out of rotation (its restore stopped there: a worker
 * killed mid-way): probed, then put back; in rotation already, there is nothing left to do.
 */
export async function putBackRestored(
  pass: RolloutPass,
  batchNumber: number,
  serverId: number,
): Promise<RestoreOutcome> {
  if (pass.fleet.instance(serverId).inRotation) return { restored: true, reason: null };
  return failedAsRestore(pass, batchNumber, serverId, () => probeAndPutBack(pass, batchNumber, serverId));
}

/** The previous container, running again out of rotation: probed, and put back when it answers. */
async function probeAndPutBack(
  pass: RolloutPass,
  batchNumber: number,
  serverId: number,
): Promise<RestoreOutcome> {
  const health = await pass.probe(serverId, 'restored');
  if (!health.healthy) {
    await pass.recorder.phase(
      batchNumber,
      serverId,
      'unhealthy',
      `Previous container unhealthy: ${health.message}`,
    );
    return { restored: false, reason: restoreUnhealthyReason(pass.fleet.server(serverId), health) };
  }
  await pass.rotation.putBack([serverId], batchNumber);
  await pass.recorder.phase(batchNumber, serverId, 'rolled_back', 'Previous container restored');
  return { restored: true, reason: null };
}

/** A restore step that throws (a remote step, the load balancer) ends as a failed restore naming the server. */
async function failedAsRestore(
  pass: RolloutPass,
  batchNumber: number,
  serverId: number,
  restore: () => Promise<RestoreOutcome>,
): Promise<RestoreOutcome> {
  try {
    return await restore();
  } catch (error) {
    await pass.recorder.phase(batchNumber, serverId, 'unhealthy', `Restore failed: ${messageOf(error)}`);
    return { restored: false, reason: restoreErrorReason(pass.fleet.server(serverId).name, error) };
  }
}

/** Null when the previous container cannot start beside the current one. */
async function restoreBeside(
  pass: RolloutPass,
  batchNumber: number,
  serverId: number,
): Promise<RestoreOutcome | null> {
  const server = pass.fleet.server(serverId);
  const operations = pass.operations(server);
  const beside = await operations.startPreviousBeside();
  if (!beside) return null;
  const health = await pass.probe(serverId, 'restored', beside.hostPort);
  if (!health.healthy) {
    await operations.stopPreviousBeside();
    await pass.recorder.phase(
      batchNumber,
      serverId,
      'unhealthy',
      `Previous container unhealthy: ${health.message}; the new one keeps serving`,
    );
    return { restored: false, reason: restoreUnhealthyReason(server, health) };
  }
  await pass.rotation.move([{ serverId, hostPort: beside.hostPort }]);
  await operations.finishPreviousBeside();
  await pass.fleet.recordRestored(serverId, beside.hostPort, true);
  await pass.recorder.phase(batchNumber, serverId, 'rolled_back', 'Previous container restored beside');
  return { restored: true, reason: null };
}
