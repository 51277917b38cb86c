import { mapWithConcurrency } from '../../common/concurrency';
import {
  fleetBatchLoadBalancerReason,
  lastFailureOf,
  namesServer,
  outOfRotationReason,
  progressDeadlineText,
  type RollbackCause,
  rollbackFailedReason,
  rolledBackReason,
  UNKNOWN,
} from '../planning/reasons';
import { everyServerBack } from '../planning/batch-decisions';
import { trailingFailures } from '../planning/transitions';
import type { ServerOutcome } from '../domain';
import { restoreServer } from './batch';
import { putBackRestored } from './restore-server';
import type { RolloutPass } from './rollout-pass';

/**
 * Step 7 of the README: rolls every server this deployment updated back to its previous container, batch by
 * batch in reverse order, each the way one batch restores a server, and ends the deployment `rolled_back`
 * or `rollback_failed` (naming the servers).
 */
export async function rollbackFleet(pass: RolloutPass, trigger?: 'progress_deadline'): Promise<void> {
  const { recorder, deployment, context, fleet } = pass;
  const lastFailure = lastFailureOf(context.batches);
  const cause: RollbackCause =
    trigger === 'progress_deadline' && deployment.progressDeadline !== null
      ? { kind: 'progress_deadline', seconds: deployment.progressDeadline }
      : {
          kind: 'failures',
          failedInARow: trailingFailures(context.batches),
          failureThreshold: deployment.failureThreshold,
        };
  await recorder.note(
    'fleet_rollback',
    cause.kind === 'failures'
      ? `Rolling back the fleet after ${cause.failedInARow} failed batch(es) in a row`
      : `Rolling back the fleet: ${progressDeadlineText(cause.seconds)}`,
  );

  const failures: string[] = [];
  for (const batch of [...context.batches].reverse()) {
    const ids = batch.serverIds.filter((id) => fleet.runsTarget(id));
    // Restored by a rollback that stopped before it recorded the batch (a worker killed mid-way).
    const alreadyBack = batch.serverIds.filter(
      (id) =>
        !fleet.runsTarget(id) &&
        fleet.instance(id).status === 'running' &&
        batch.serverOutcomes?.[String(id)] === 'updated',
    );
    if (ids.length === 0 && alreadyBack.length === 0) continue;
    // start-first: each server goes back beside the current container, without leaving rotation.
    if (deployment.order === 'stop-first') {
      for (const id of ids.filter((id) => fleet.instance(id).inRotation)) {
        await recorder.phase(batch.batchNumber, id, 'draining', 'Taking out of rotation to roll back');
      }
      try {
        await pass.rotation.takeOut(ids);
      } catch (error) {
        failures.push(fleetBatchLoadBalancerReason(batch.batchNumber, error));
        continue;
      }
    }
    const outcomes = await mapWithConcurrency(
      [...ids, ...alreadyBack],
      pass.settings.batchConcurrency,
      (id) =>
        ids.includes(id)
          ? restoreServer(pass, batch.batchNumber, id)
          : putBackRestored(pass, batch.batchNumber, id),
    );
    const batchFailures = outcomes.filter((o) => !o.restored).map((o) => o.reason ?? UNKNOWN);
    failures.push(...batchFailures);
    const restored: Record<string, ServerOutcome> = Object.fromEntries(
      [...ids, ...alreadyBack].map((id, i) => [
        String(id),
        outcomes[i]?.restored ? 'restored' : 'restore_failed',
      ]),
    );
    await recorder.batch(batch.id, {
      serverOutcomes: restored,
      ...(everyServerBack(batch.serverIds, { ...batch.serverOutcomes, ...restored })
        ? { status: 'rolled_back' as const }
        : {}),
    });
  }

  const touched = [...new Set(context.batches.flatMap((b) => b.serverIds))];
  for (const id of touched) {
    const instance = fleet.instance(id);
    const server = fleet.server(id);
    if (instance.status !== 'absent' && !instance.inRotation && !namesServer(failures, server.name)) {
      failures.push(outOfRotationReason(server));
    }
  }

  if (failures.length === 0) {
    await recorder.finished(
      {
        status: 'rolled_back',
        failureReason: rolledBackReason(cause, lastFailure),
        completedAt: pass.now(),
      },
      'Every updated server was restored to its previous container',
    );
  } else {
    await recorder.finished(
      {
        status: 'rollback_failed',
        failureReason: rollbackFailedReason(cause, lastFailure, failures),
        completedAt: pass.now(),
      },
      'Some servers could not be restored',
    );
  }
}
