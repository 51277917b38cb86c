import { mapWithConcurrency } from '../../common/concurrency';
import { trailingFailures } from '../planning/transitions';
import type { RolloutRun } from './rollout-pass';

/**
 * Rolls every server this deployment updated back to its previous container, batch by batch in
 * reverse order, and ends the deployment `rolled_back` or `rollback_failed` (naming the servers).
 */
export async function rollbackFleet(run: RolloutRun): Promise<void> {
  const { recorder, deployment, context } = run;
  const failedInARow = trailingFailures(context.batches);
  const lastFailure = [...context.batches].reverse().find((b) => b.failureReason)?.failureReason ?? 'unknown';
  await recorder.note(
    'fleet_rollback',
    `Rolling back the fleet after ${failedInARow} failed batch(es) in a row`,
  );

  const failures: string[] = [];
  for (const batch of [...context.batches].reverse()) {
    const ids = batch.serverIds.filter((id) => run.runsTarget(id));
    if (ids.length === 0) continue;
    for (const id of ids.filter((id) => run.instance(id).inRotation)) {
      await recorder.phase(batch.batchNumber, id, 'draining', 'Taking out of rotation to roll back');
    }
    try {
      await run.takeOut(ids);
    } catch (error) {
      failures.push(
        `batch ${batch.batchNumber}: load balancer: ${error instanceof Error ? error.message : error}`,
      );
      continue;
    }
    const outcomes = await mapWithConcurrency(ids, run.settings.batchConcurrency, (id) =>
      run.restore(batch.batchNumber, id),
    );
    const batchFailures = outcomes.filter((o) => !o.restored).map((o) => o.reason ?? 'unknown');
    failures.push(...batchFailures);
    if (batchFailures.length === 0 && batch.status === 'completed') {
      await recorder.batch(batch.id, { status: 'rolled_back' });
    }
  }

  const touched = [...new Set(context.batches.flatMap((b) => b.serverIds))];
  for (const id of touched) {
    const instance = run.instance(id);
    const server = run.server(id);
    if (
      instance.status !== 'absent' &&
      !instance.inRotation &&
      !failures.some((f) => f.startsWith(`${server.name} `))
    ) {
      failures.push(`${server.name} (${server.host}) is out of rotation`);
    }
  }

  const why = `${failedInARow} consecutive failed batch(es) (failureThreshold ${deployment.failureThreshold}); last failure: ${lastFailure}`;
  if (failures.length === 0) {
    await recorder.finished(
      { status: 'rolled_back', failureReason: `Rolled back after ${why}`, completedAt: run.now() },
      'Every updated server was restored to its previous container',
    );
  } else {
    await recorder.finished(
      {
        status: 'rollback_failed',
        failureReason: `Rollback failed after ${why}. Not restored: ${failures.join('; ')}`,
        completedAt: run.now(),
      },
      'Some servers could not be restored',
    );
  }
}
