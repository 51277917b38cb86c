import type { Clock } from '../../common/clock';
import { type DeploymentStatus, FINAL_DEPLOYMENT_STATUSES } from '../domain';
import { abandonedReason, finishReason } from '../planning/reasons';
import { planStart } from '../planning/start';
import { nextStep, type RolloutStep, trailingFailures } from '../planning/transitions';
import type { HealthProbe, LoadBalancer, RemoteExecutor, RolloutEvents, RolloutStore } from '../ports';
import { deployBatch } from './batch';
import { BatchPreparations } from './batch-preparation';
import { InstanceMonitor } from './instance-monitor';
import { failUnhealthyInstances } from './unhealthy-instances';
import { rollbackFleet } from './fleet-rollback';
import { FencedError, RolloutRecorder } from './rollout-recorder';
import { type RolloutDependencies, RolloutPass } from './rollout-pass';
import type { RolloutSettings } from './rollout-settings';

/**
 * The loop of a rolling update, run as a persisted state machine: each pass re-reads the deployment from
 * the store, asks the pure planner for the next step (`planning/transitions.ts`), performs it and writes
 * the result. A worker that dies at any point is replaced by one that continues from the database. A
 * cancel is read between steps and, through the store's cancel watch, during every wait of the loop and of
 * a batch, which it ends at once.
 */
export class RollingUpdateStrategy {
  private readonly deps: RolloutDependencies;
  private runs = 0;

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

  /**
   * Rolls the deployment out (or on, from where a previous worker left it) until it is finished or paused:
   * `ended`. When `stop` aborts (the worker shuts down), the step under way (a batch, the wait before the
   * next one) ends as usual and the run stops there, noted, without ending the deployment: `handed_off`,
   * for another worker to continue at once.
   */
  async run(deploymentId: number, stop?: AbortSignal): Promise<RunEnd> {
    const cancel = new AbortController();
    const watch = this.store.watchCancel(deploymentId);
    const onCancel = () => cancel.abort();
    if (watch.signal.aborted) onCancel();
    watch.signal.addEventListener('abort', onCancel, { once: true });
    // One name per run, not per process: a run of this same worker that lost its lock is fenced off too.
    const owner = `${this.deps.settings.workerId}/${++this.runs}`;
    try {
      const claim = await this.store.claimRun(deploymentId, owner);
      const scope = { deploymentId, owner, cancel, stop };
      const end = await this.loop(scope, claim?.previousOwner ?? null).catch((error: unknown) => {
        // Taken over while this worker was only slow: the other one goes on; nothing more is done here.
        if (error instanceof FencedError) return 'fenced' as const;
        throw error;
      });
      // Ended (finished or paused): the next run of it starts afresh. A run handed off or one that threw
      // keeps its mark, so the worker that continues it counts a resume.
      if (end === 'ended') await this.store.releaseRun(deploymentId, owner);
      return end;
    } finally {
      watch.signal.removeEventListener('abort', onCancel);
      watch.close();
    }
  }

  private async loop(scope: RunScope, previousOwner: string | null): Promise<RunEnd> {
    const recorder = new RolloutRecorder(this.store, this.events, scope.deploymentId);
    recorder.fenceBy(scope.owner);
    if (previousOwner !== null) {
      const { resumeCount } = await recorder.deployment({});
      await recorder.note('resumed', takeoverNote(scope.owner, previousOwner, resumeCount));
    }
    const monitor = new InstanceMonitor(this.clock);
    const preparations = new BatchPreparations();
    try {
      return await this.steps(scope, recorder, monitor, preparations);
    } finally {
      monitor.end();
      await preparations.settle();
    }
  }

  private async steps(
    scope: RunScope,
    recorder: RolloutRecorder,
    monitor: InstanceMonitor,
    preparations: BatchPreparations,
  ): Promise<RunEnd> {
    const { deploymentId, cancel, stop } = scope;
    let waitBeforeNextBatch = false;
    for (;;) {
      const context = await this.store.loadContext(deploymentId);
      const { deployment } = context;
      if (context.cancelRequested) cancel.abort();
      const pass = new RolloutPass(context, recorder, this.deps, cancel.signal);
      const unhealthy = deployment.status === 'in_progress' ? monitor.takeUnhealthy() : [];
      if (unhealthy.length > 0) {
        await failUnhealthyInstances(pass, unhealthy);
        continue;
      }
      if (deployment.status === 'in_progress') monitor.follow(pass);
      const deadlineLeft = pass.progressDeadlineLeftMs();
      const step = nextStep({
        status: deployment.status,
        cancelRequested: context.cancelRequested,
        pauseRequested: context.pauseRequested,
        progressDeadlineExceeded: deadlineLeft !== null && deadlineLeft <= 0,
        failureThreshold: deployment.failureThreshold,
        autoRollbackOnFailure: deployment.autoRollbackOnFailure,
        batches: context.batches,
      });
      if (stop?.aborted && HANDED_OFF_BEFORE.includes(step.kind)) {
        await recorder.note(
          'handed_off',
          `Worker ${this.deps.settings.workerId} is shutting down: stopped before ${describeStep(step)}; another worker continues from here`,
        );
        return 'handed_off';
      }
      switch (step.kind) {
        case 'done':
          return 'ended';
        case 'start':
          if (!(await this.start(pass))) return 'ended';
          break;
        case 'pause':
          await recorder.deployment({ status: 'paused', pauseRequestedAt: null });
          await recorder.note(
            'paused',
            `Paused before batch ${step.beforeBatch} of ${deployment.totalBatches}; resume to go on`,
          );
          return 'ended';
        case 'run_batch': {
          if (waitBeforeNextBatch && deployment.waitInterval > 0) {
            await recorder.note(
              'waiting',
              `Waiting ${deployment.waitInterval}s before batch ${step.batchNumber}`,
            );
            // A cancel ends the wait (the next pass reads it and finishes `cancelled`), and so do an
            // updated instance found unhealthy (the next pass fails its batch) and a shutdown (it hands off).
            await this.clock.sleep(
              deployment.waitInterval * 1000,
              AbortSignal.any([cancel.signal, monitor.foundSignal, ...(stop ? [stop] : [])]),
            );
            waitBeforeNextBatch = false;
            continue;
          }
          const batch = context.batches.find((b) => b.batchNumber === step.batchNumber)!;
          const outcome = await deployBatch(pass, batch, preparations);
          if (outcome === 'stop') return 'ended';
          if (outcome === 'cancelled') {
            // At once, not through the planner: a batch restored because of the cancel counts as failed
            // and must not start a fleet rollback.
            const settled = await this.store.loadContext(deploymentId);
            await this.finish(new RolloutPass(settled, recorder, this.deps, cancel.signal), 'cancelled');
            return 'ended';
          }
          // The gate: a durable request, so a worker that dies right now still pauses when it resumes.
          if (deployment.pauseAfterEachBatch) await recorder.deployment({ pauseRequestedAt: pass.now() });
          waitBeforeNextBatch = true;
          break;
        }
        case 'fleet_rollback':
          monitor.end();
          await rollbackFleet(pass, step.cause);
          return 'ended';
        case 'finish':
          await this.finish(pass, step.status, step.cause);
          return 'ended';
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
    const reason = abandonedReason(error);
    await new RolloutRecorder(this.store, this.events, deploymentId).finished(
      { status: 'failed', failureReason: reason, completedAt: this.clock.now() },
      reason,
    );
  }

  /** Records the previous version, checks the starting budget and creates the batches. */
  private async start(pass: RolloutPass): Promise<boolean> {
    const { context, recorder } = pass;
    const { deployment, application } = context;
    const plan = planStart({
      status: deployment.status,
      serverIds: application.serverIds,
      instances: context.instances,
      inRotation: pass.fleet.inRotation().length,
      batchSize: deployment.batchSize,
      batchSizeIsPercentage: deployment.batchSizeIsPercentage,
      minimumHealthy: deployment.minimumHealthyInstances,
    });
    const versionPatch = plan.previous
      ? { previousImage: plan.previous.image, previousTag: plan.previous.tag }
      : {};
    if (plan.refusal) {
      await recorder.finished(
        {
          ...versionPatch,
          status: 'failed',
          failureReason: plan.refusal,
          startedAt: pass.now(),
          completedAt: pass.now(),
        },
        plan.refusal,
      );
      return false;
    }
    await recorder.deployment({
      ...versionPatch,
      status: 'in_progress',
      totalBatches: plan.batches.length,
      ...(deployment.startedAt ? {} : { startedAt: pass.now() }),
    });
    const batches = await this.store.ensureBatches(
      deployment.id,
      plan.batches.map((serverIds, i) => ({ batchNumber: i + 1, serverIds, targetInstanceCount: 1 })),
    );
    recorder.batches(batches);
    await recorder.note(
      'started',
      `Rolling update to ${deployment.image}:${deployment.tag} in ${plan.batches.length} batch(es)`,
    );
    return true;
  }

  private async finish(
    pass: RolloutPass,
    status: DeploymentStatus,
    cause?: 'progress_deadline',
  ): Promise<void> {
    const { deployment, context } = pass;
    const reason = finishReason(status, {
      progressDeadline: cause === 'progress_deadline' ? deployment.progressDeadline : null,
      failedInARow: trailingFailures(context.batches),
      failureThreshold: deployment.failureThreshold,
      completedBatches: deployment.completedBatches,
      failedBatches: deployment.failedBatches,
      totalBatches: deployment.totalBatches,
      batches: context.batches,
    });
    await pass.recorder.finished(
      { status, failureReason: reason, completedAt: pass.now() },
      reason ?? `Deployment ${status.replace(/_/g, ' ')}`,
    );
  }
}

/** One run of a rollout by this worker: `owner` names it in the database and the timeline. */
interface RunScope {
  deploymentId: number;
  owner: string;
  cancel: AbortController;
  stop: AbortSignal | undefined;
}

/** What a worker that shuts down does not start: the steps that may take long. */
const HANDED_OFF_BEFORE: readonly RolloutStep['kind'][] = ['start', 'run_batch', 'fleet_rollback'];

function describeStep(step: RolloutStep): string {
  if (step.kind === 'run_batch') return `batch ${step.batchNumber}`;
  return step.kind === 'fleet_rollback' ? 'the fleet rollback' : 'the rollout started';
}

/**
 * `ended`: finished or paused; `handed_off`: stopped between steps for another worker to continue;
 * `fenced`: another worker took it over meanwhile (this one was only slow) and this one stopped.
 */
export type RunEnd = 'ended' | 'handed_off' | 'fenced';

/** The timeline's note when a worker continues a rollout whose previous run never ended. */
function takeoverNote(owner: string, previousOwner: string, resumeCount: number): string {
  const worker = (run: string) => run.replace(/\/\d+$/, '');
  const who =
    worker(owner) === worker(previousOwner)
      ? `Worker ${worker(owner)} resumed the rollout after its previous attempt (run ${previousOwner}) stopped`
      : `Worker ${worker(owner)} took over the rollout from worker ${worker(previousOwner)}`;
  return `${who}; continuing from the database (resume ${resumeCount})`;
}
