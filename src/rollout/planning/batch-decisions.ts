import type { BatchStatus, InstanceState, ServerOutcome } from '../domain';

/**
 * Decisions inside one batch, from what it found. Pure.
 *
 * Handing a cancelled batch back unchanged (its servers back into rotation, nothing swapped) is safe only
 * when every server of it still serves or has nothing deployed yet:
 *   [serving, serving]             → hand back
 *   [serving, nothing deployed]    → hand back (a first deployment)
 *   [serving, running but drained] → no: a batch resumed after a crash can hold a server taken out mid-swap,
 *                                    which only the full path (swap, probe, restore) leaves serving.
 */
export function canHandBack(instances: readonly Pick<InstanceState, 'inRotation' | 'status'>[]): boolean {
  return instances.every((instance) => instance.inRotation || instance.status === 'absent');
}

/**
 * The status a batch of `servers` ends in:
 *   0 servers failed                                  → completed
 *   2 of 2 failed, both previous containers restored  → rolled_back (every server is back)
 *   1 of 2 failed and restored, the other one updated → failed (not rolled back: one kept the new version)
 *   2 of 2 failed, one restore failed too             → failed (a server is left without a serving instance)
 */
export function settledBatchStatus(
  servers: number,
  failedServers: number,
  failedRestores: number,
): BatchStatus {
  if (failedServers === 0) return 'completed';
  return failedServers === servers && failedRestores === 0 ? 'rolled_back' : 'failed';
}

/**
 * Whether every server of a batch is back on the previous version (restored) or was never touched, from
 * its outcomes by server id (a server not named is untouched): then the batch is `rolled_back`.
 *   { 1: restored, 2: untouched } → true;  { 1: restored, 2: updated } → false
 */
export function everyServerBack(
  serverIds: readonly number[],
  outcomes: Readonly<Record<string, ServerOutcome>>,
): boolean {
  return serverIds.every((id) => {
    const outcome = outcomes[String(id)];
    return outcome === undefined || outcome === 'restored' || outcome === 'untouched';
  });
}
