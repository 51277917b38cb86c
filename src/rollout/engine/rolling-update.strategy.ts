import { Clock } from '../../common/clock';
import { runBatch } from './batch';
import { FINAL_DEPLOYMENT_STATUSES } from '../domain';
import type { BatchRecord, DeploymentStatus } from '../domain';
import { rollbackFleet } from './fleet-rollback';
import { planBatches } from '../planning/batches';
import { currentVersion } from '../planning/current-version';
import { checkStartingBudget } from '../planning/budget';
import { isFailedBatch, nextStep, trailingFailures } from '../planning/transitions';
import { HealthProbe, LoadBalancer, RemoteExecutor, RolloutEvents, RolloutStore } from '../ports';
import { RolloutRecorder } from './rollout-recorder';
import { RolloutDependencies, RolloutRun } from './rollout-pass';
import { RolloutSettings } from './rollout-settings';

/**
 * Runs a rolling update as a persisted state machine: each pass re-reads the deployment from the store,
 * asks the pure planner for the next step, performs it and writes the result. A worker that dies at any
 * point is replaced by one that continues from the database. A cancel is read between steps and, through
 * the store's cancel watch, during every wait of the loop and of a batch, which it ends at once.
 */
export class RollingUpdateStrategy {
  private readonly deps: RolloutDependencies;

  constructor(
    private readonly store: RolloutStore,
    private readonly events: RolloutEvents,
    executor: RemoteExecutor,
    probe: HealthProbe,
    loadBalancer: LoadBalancer,
    private readonly clock: Clock,
    settings: RolloutSettings,
  ) {
    this.deps = { store, executor, probe, loadBalancer, clock, settings };
  }

  async run(deploymentId: number): Promise<void> {
    const cancel = new AbortController();
    const watch = this.store.watchCancel(deploymentId);
    const onCancel = () => cancel.abort();
    if (watch.signal.aborted) onCancel();
    watch.signal.addEventListener('abort', onCancel, { once: true });
    try {
      await this.loop(deploymentId, cancel);
    } finally {
      watch.signal.removeEventListener('abort', onCancel);
      watch.close();
    }
  }

  private async loop(deploymentId: number, cancel: AbortController): Promise<void> {
    const recorder = new RolloutRecorder(this.store, this.events, deploymentId);
    let waitBeforeNextBatch = false;
    for (;;) {
      const context = await this.store.loadContext(deploymentId);
      const { deployment } = context;
      if (context.cancelRequested) cancel.abort();
      const step = nextStep({
        status: deployment.status,
        cancelRequested: context.cancelRequested,
        failureThreshold: deployment.failureThreshold,
        autoRollbackOnFailure: deployment.autoRollbackOnFailure,
        batches: context.batches,
      });
      const run = new RolloutRun(context, recorder, this.deps, cancel.signal);
      switch (step.kind) {
        case 'done':
          return;
        case 'start':
          if (!(await this.start(run))) return;
          break;
        case 'run_batch': {
          if (waitBeforeNextBatch && deployment.waitInterval > 0) {
            await recorder.note(
              'waiting',
              `Waiting ${deployment.waitInterval}s before batch ${step.batchNumber}`,
            );
            // A cancel ends the wait; the next pass reads it and finishes `cancelled`.
            await this.clock.sleep(deployment.waitInterval * 1000, cancel.signal);
            waitBeforeNextBatch = false;
            continue;
          }
          const batch = context.batches.find((b) => b.batchNumber === step.batchNumber)!;
          const outcome = await runBatch(run, batch);
          if (outcome === 'stop') return;
          if (outcome === 'cancelled') {
            // At once, not through the planner: a batch restored because of the cancel counts as failed
            // and must not start a fleet rollback.
            const settled = await this.store.loadContext(deploymentId);
            await this.finish(new RolloutRun(settled, recorder, this.deps, cancel.signal), 'cancelled');
            return;
          }
          waitBeforeNextBatch = true;
          break;
        }
        case 'fleet_rollback':
          await rollbackFleet(run);
          return;
        case 'finish':
          await this.finish(run, step.status);
          return;
      }
    }
  }

  /**
   * Called when the queue gives up on a deployment after its last attempt (e.g. the database or Redis
   * stayed down): the deployment fails with the error, releasing the application's rollout slot.
   */
  async abandon(deploymentId: number, error: string): Promise<void> {
    const { deployment } = await this.store.loadContext(deploymentId);
    if (FINAL_DEPLOYMENT_STATUSES.includes(deployment.status)) return;
    const reason = `The rollout stopped after repeated errors: ${error}`;
    await new RolloutRecorder(this.store, this.events, deploymentId).finished(
      { status: 'failed', failureReason: reason, completedAt: this.clock.now() },
      reason,
    );
  }

  /** Records the previous version, checks the starting budget and creates the batches. */
  private async start(run: RolloutRun): Promise<boolean> {
    const { context, recorder } = run;
    const { deployment, application } = context;
    const previous =
      deployment.status === 'queued' || deployment.status === 'pending'
        ? currentVersion(context.instances)
        : null;
    const versionPatch = previous ? { previousImage: previous.image, previousTag: previous.tag } : {};
    const plan = planBatches(application.serverIds, deployment.batchSize, deployment.batchSizeIsPercentage);
    const existing = context.instances.filter((i) => i.status !== 'absent').length;
    const budget = checkStartingBudget({
      inRotation: run.inRotation().length,
      existingInstances: existing,
      minimumHealthy: deployment.minimumHealthyInstances,
    });
    const refusal =
      plan.length === 0 ? 'The application has no servers' : budget.allowed ? null : budget.reason;
    if (refusal) {
      await recorder.finished(
        {
          ...versionPatch,
          status: 'failed',
          failureReason: refusal,
          startedAt: run.now(),
          completedAt: run.now(),
        },
        refusal,
      );
      return false;
    }
    await recorder.deployment({
      ...versionPatch,
      status: 'in_progress',
      totalBatches: plan.length,
      ...(deployment.startedAt ? {} : { startedAt: run.now() }),
    });
    const batches = await this.store.ensureBatches(
      deployment.id,
      plan.map((serverIds, i) => ({ batchNumber: i + 1, serverIds, targetInstanceCount: 1 })),
    );
    await recorder.batches(batches);
    await recorder.note(
      'started',
      `Rolling update to ${deployment.image}:${deployment.tag} in ${plan.length} batch(es)`,
    );
    return true;
  }

  private async finish(run: RolloutRun, status: DeploymentStatus): Promise<void> {
    const { deployment, context } = run;
    const reasons: Partial<Record<DeploymentStatus, string>> = {
      failed: `${trailingFailures(context.batches)} consecutive failed batch(es) (failureThreshold ${deployment.failureThreshold}) and automatic rollback is off`,
      cancelled: `Cancelled after ${deployment.completedBatches + deployment.failedBatches} of ${deployment.totalBatches} batch(es)`,
      completed_with_errors: describeFailedBatches(context.batches, deployment.totalBatches),
    };
    const reason = reasons[status] ?? null;
    await run.recorder.finished(
      { status, failureReason: reason, completedAt: run.now() },
      reason ?? `Deployment ${status.replace(/_/g, ' ')}`,
    );
  }
}

/**
 * `1 of 4 batch(es) failed: batch 2 rolled back to the previous version; batch 3: web-5 (10.0.0.5): pull
 * failed: …`. A batch whose restore failed keeps its own reason, which names the servers left without a
 * serving instance, so the summary never claims a restore that did not happen.
 */
function describeFailedBatches(batches: readonly BatchRecord[], totalBatches: number): string {
  const failed = [...batches]
    .sort((a, b) => a.batchNumber - b.batchNumber)
    .filter((b) => isFailedBatch(b.status));
  const details = failed.map((b) =>
    b.status === 'rolled_back'
      ? `batch ${b.batchNumber} rolled back to the previous version`
      : `batch ${b.batchNumber}: ${b.failureReason ?? 'failed'}`,
  );
  return `${failed.length} of ${totalBatches} batch(es) failed: ${details.join('; ')}`;
}
