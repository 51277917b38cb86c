import type { Clock } from '../../common/clock';
import { mapWithConcurrency } from '../../common/concurrency';
import { MIN_PROBE_PACE_MS } from '../planning/probe-budget';
import { stoppedAnsweringReason } from '../planning/reasons';
import type { RolloutPass } from './rollout-pass';

/** Failed probes in a row after which an updated instance counts as unhealthy. */
export const FAILURES_IN_A_ROW = 2;

/**
 * The monitor's requests per second at most, over all the instances it watches: a large fleet's are asked
 * in turn (each about every `watched / 100` s when that is longer than `healthCheckInterval`), so the
 * worker's work and the applications' load stay flat as the fleet grows.
 */
export const MONITOR_PROBES_PER_SECOND = 100;

/** An instance a finished batch updated that stopped answering; `reason` names it, its batch and why. */
export interface UnhealthyInstance {
  serverId: number;
  batchNumber: number;
  reason: string;
}

/**
 * Watches, for the whole rollout, the instances its finished batches updated and put in rotation: each is
 * asked once every `healthCheckInterval`; one that fails twice in a row is reported at once (an
 * `unhealthy` phase and a note) and handed to the loop (`takeUnhealthy`), which fails its batch and
 * restores it between batches. Always follows the latest pass, whose fleet state is the current one.
 */
export class InstanceMonitor {
  private pass: RolloutPass | null = null;
  private stopTicks: (() => void) | null = null;
  private readonly failures = new Map<number, number>();
  private readonly reported = new Set<number>();
  private unhealthy: UnhealthyInstance[] = [];
  private found = new AbortController();
  /** How many instances one tick asks, and where the next tick starts among the watched ones. */
  private perTick = 1;
  private cursor = 0;

  constructor(private readonly clock: Clock) {}

  follow(pass: RolloutPass): void {
    this.pass = pass;
    if (this.stopTicks) return;
    const intervalMs = Math.max(pass.deployment.healthCheckInterval * 1000, MIN_PROBE_PACE_MS);
    this.perTick = Math.max(1, Math.floor((intervalMs * MONITOR_PROBES_PER_SECOND) / 1000));
    this.stopTicks = this.clock.repeat(intervalMs, () => this.tick());
  }

  /** The instances found unhealthy since the last call; each is handed over once. */
  takeUnhealthy(): UnhealthyInstance[] {
    const found = this.unhealthy;
    this.unhealthy = [];
    if (this.found.signal.aborted) this.found = new AbortController();
    return found;
  }

  /** Aborts once an instance is found unhealthy (e.g. to end the wait between batches early). */
  get foundSignal(): AbortSignal {
    return this.found.signal;
  }

  end(): void {
    this.stopTicks?.();
    this.stopTicks = null;
    this.pass = null;
  }

  async tick(): Promise<void> {
    const pass = this.pass;
    if (!pass) return;
    await mapWithConcurrency(this.nextTurn(pass), pass.settings.batchConcurrency, async (watched) => {
      const outcome = await pass.probe(watched.serverId, 'live');
      if (outcome.healthy) {
        this.failures.delete(watched.serverId);
        return;
      }
      const failures = (this.failures.get(watched.serverId) ?? 0) + 1;
      this.failures.set(watched.serverId, failures);
      if (failures < FAILURES_IN_A_ROW || this.reported.has(watched.serverId) || this.pass !== pass) return;
      this.reported.add(watched.serverId);
      const reason = stoppedAnsweringReason(
        pass.fleet.server(watched.serverId),
        watched.batchNumber,
        outcome,
      );
      this.unhealthy.push({ ...watched, reason });
      await pass.recorder.phase(watched.batchNumber, watched.serverId, 'unhealthy', reason);
      await pass.recorder.note('not_answering', reason);
      this.found.abort();
    });
  }

  /** The watched instances this tick asks: all of them, or the next `perTick` in turn. */
  private nextTurn(pass: RolloutPass): { serverId: number; batchNumber: number }[] {
    const watched = this.watched(pass);
    if (watched.length <= this.perTick) return watched;
    const start = this.cursor % watched.length;
    this.cursor = start + this.perTick;
    return [...watched, ...watched].slice(start, start + this.perTick);
  }

  /** Updated by a finished batch of this deployment, still on the new version and in rotation. */
  private watched(pass: RolloutPass): { serverId: number; batchNumber: number }[] {
    return pass.context.batches.flatMap((batch) =>
      batch.serverIds
        .filter(
          (id) =>
            batch.serverOutcomes?.[String(id)] === 'updated' &&
            !this.reported.has(id) &&
            pass.fleet.runsTarget(id) &&
            pass.fleet.instance(id).inRotation,
        )
        .map((serverId) => ({ serverId, batchNumber: batch.batchNumber })),
    );
  }
}
