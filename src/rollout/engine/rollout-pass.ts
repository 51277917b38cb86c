import type { Clock } from '../../common/clock';
import type { RolloutContext, ServerTarget } from '../domain';
import { type ProbePurpose, probeSpec } from '../planning/probe-budget';
import { progressDeadlineLeftMs } from '../planning/progress-deadline';
import type { HealthCheckOutcome, HealthProbe, LoadBalancer, RemoteExecutor, RolloutStore } from '../ports';
import { FleetState } from './fleet-state';
import type { RolloutRecorder } from './rollout-recorder';
import type { RolloutSettings } from './rollout-settings';
import { Rotation } from './rotation';
import { secretMaskOf } from './secret-mask';
import { ServerOperations } from './server-operations';

export interface RolloutDependencies {
  store: RolloutStore;
  executor: RemoteExecutor;
  probe: HealthProbe;
  loadBalancer: LoadBalancer;
  clock: Clock;
  settings: RolloutSettings;
}

/**
 * One pass of the loop: the context loaded at its start, the fleet's state, the rotation, and what a batch
 * and the fleet rollback share (the container steps of a server, the direct probe of an instance).
 * `cancel` aborts when the deployment's cancel is recorded: the waits of a batch (drain, probes) end early.
 */
export class RolloutPass {
  readonly fleet: FleetState;
  readonly rotation: Rotation;

  constructor(
    readonly context: RolloutContext,
    readonly recorder: RolloutRecorder,
    private readonly deps: RolloutDependencies,
    readonly cancel: AbortSignal,
  ) {
    this.fleet = new FleetState(context, deps.store);
    this.rotation = new Rotation(this.fleet, context, deps.loadBalancer, recorder);
    recorder.maskSecrets(secretMaskOf(context.application));
  }

  get deployment() {
    return this.context.deployment;
  }

  get settings() {
    return this.deps.settings;
  }

  now(): Date {
    return this.deps.clock.now();
  }

  /** Time left before `progressDeadline` passes without a completed batch; null: no deadline. */
  progressDeadlineLeftMs(): number | null {
    return progressDeadlineLeftMs({
      progressDeadline: this.deployment.progressDeadline,
      startedAt: this.deployment.startedAt,
      resumedAt: this.context.resumedAt,
      batches: this.context.batches,
      now: this.now(),
    });
  }

  operations(server: ServerTarget): ServerOperations {
    return new ServerOperations(this.deps.executor, server, this.context.application, this.deployment.id);
  }

  /**
   * Probes the instance on a server directly (the budget: `planning/probe-budget.ts`). Only the probe of a
   * new instance stops on a cancel: a restored previous container is probed to the end, or its server would
   * be left out of rotation. `port`: where the instance serves when not on its recorded port (`start-first`).
   */
  async probe(
    serverId: number,
    purpose: ProbePurpose = 'new',
    port = this.fleet.instance(serverId).hostPort,
  ): Promise<HealthCheckOutcome> {
    const left = purpose === 'new' ? this.progressDeadlineLeftMs() : null;
    const spec = probeSpec({
      options: this.deployment,
      host: this.fleet.server(serverId).host,
      port,
      purpose,
      requestTimeoutMs: this.deps.settings.healthRequestTimeoutMs,
      ...(left === null ? {} : { capMs: left }),
    });
    if (purpose === 'live') return this.deps.probe.checkNow(spec);
    return this.deps.probe.check(spec, purpose === 'new' ? this.cancel : undefined);
  }
}
