import type { Clock } from '../../common/clock';
import type { HealthCheckResult, InstanceState, RolloutContext, ServerTarget } from '../domain';
import type {
  HealthCheckOutcome,
  HealthProbe,
  LoadBalancer,
  LoadBalancerTarget,
  RemoteExecutor,
  RolloutStore,
  RotationMember,
} from '../ports';
import type { RolloutRecorder } from './rollout-recorder';
import type { RolloutSettings } from './rollout-settings';
import { secretMaskOf } from './secret-mask';
import { ServerOperations } from './server-operations';
import { splitReference } from '../commands/docker-commands';

export interface RolloutDependencies {
  store: RolloutStore;
  executor: RemoteExecutor;
  probe: HealthProbe;
  loadBalancer: LoadBalancer;
  clock: Clock;
  settings: RolloutSettings;
}

export interface RestoreOutcome {
  restored: boolean;
  reason: string | null;
}

/**
 * One step's view of a rollout: the loaded context plus the operations shared by batches and rollback.
 * `cancel` aborts when the deployment's cancel is recorded: the waits of a batch (drain, probes) end early.
 */
export class RolloutRun {
  private readonly instances = new Map<number, InstanceState>();
  private readonly servers = new Map<number, ServerTarget>();
  /** Rotation changes run one at a time: each computes the full member list from the latest state. */
  private loadBalancerTurn: Promise<unknown> = Promise.resolve();

  constructor(
    readonly context: RolloutContext,
    readonly recorder: RolloutRecorder,
    private readonly deps: RolloutDependencies,
    readonly cancel: AbortSignal,
  ) {
    for (const instance of context.instances) this.instances.set(instance.serverId, { ...instance });
    for (const server of context.servers) this.servers.set(server.id, server);
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

  server(serverId: number): ServerTarget {
    const server = this.servers.get(serverId);
    if (!server) throw new Error(`Server ${serverId} of the batch is no longer registered`);
    return server;
  }

  instance(serverId: number): InstanceState {
    return (
      this.instances.get(serverId) ?? {
        serverId,
        image: null,
        tag: null,
        status: 'absent',
        inRotation: false,
        hostPort: this.context.application.hostPort,
        previousImage: null,
        previousTag: null,
      }
    );
  }

  operations(server: ServerTarget): ServerOperations {
    return new ServerOperations(
      this.deps.executor,
      server,
      this.context.application,
      this.deployment.id,
      this.deps.settings.stopTimeoutSeconds,
    );
  }

  inRotation(): number[] {
    return this.context.application.serverIds.filter((id) => this.instance(id).inRotation);
  }

  runsTarget(serverId: number): boolean {
    const instance = this.instance(serverId);
    return (
      instance.status !== 'absent' &&
      instance.image === this.deployment.image &&
      instance.tag === this.deployment.tag
    );
  }

  async saveInstance(serverId: number, patch: Partial<InstanceState>): Promise<void> {
    const next = { ...this.instance(serverId), ...patch, serverId };
    this.instances.set(serverId, next);
    await this.deps.store.saveInstance(this.context.application.id, next);
  }

  async recordSwap(serverId: number, previousReference: string | null): Promise<void> {
    const previous = previousReference ? splitReference(previousReference) : null;
    await this.saveInstance(serverId, {
      image: this.deployment.image,
      tag: this.deployment.tag,
      status: 'running',
      inRotation: false,
      previousImage: previous?.image ?? null,
      previousTag: previous?.tag ?? null,
    });
  }

  /**
   * Takes servers out of rotation and waits for the drain, which `signal` may cut short (the servers stay
   * out); throws LoadBalancerError.
   */
  takeOut(serverIds: number[], signal?: AbortSignal): Promise<void> {
    return this.exclusively(() => this.takeOutNow(serverIds, signal));
  }

  /** Puts servers (already healthy) back into rotation; throws LoadBalancerError. */
  putBack(serverIds: number[], batchNumber: number): Promise<void> {
    return this.exclusively(() => this.putBackNow(serverIds, batchNumber));
  }

  private exclusively(change: () => Promise<void>): Promise<void> {
    const turn = this.loadBalancerTurn.then(change, change);
    this.loadBalancerTurn = turn.catch(() => undefined);
    return turn;
  }

  private async takeOutNow(serverIds: number[], signal?: AbortSignal): Promise<void> {
    const leaving = serverIds.filter((id) => this.instance(id).inRotation);
    if (leaving.length === 0) return;
    const target = this.loadBalancerTarget();
    if (target) {
      const remaining = this.inRotation().filter((id) => !leaving.includes(id));
      const leavingMembers = leaving.map((id) => this.member(id));
      try {
        await this.deps.loadBalancer.removeFromRotation(
          target,
          remaining.map((id) => this.member(id)),
          leavingMembers,
          signal,
        );
      } catch (error) {
        // The change may have half-applied (e.g. one HAProxy server already draining): undo it.
        const all = this.inRotation().map((id) => this.member(id));
        await this.deps.loadBalancer.addToRotation(target, all, leavingMembers).catch(() => undefined);
        throw error;
      }
    }
    for (const id of leaving) await this.saveInstance(id, { inRotation: false });
  }

  private async putBackNow(serverIds: number[], batchNumber: number): Promise<void> {
    const joining = serverIds.filter((id) => !this.instance(id).inRotation);
    if (joining.length === 0) return;
    const target = this.loadBalancerTarget();
    if (target) {
      const all = [...new Set([...this.inRotation(), ...joining])];
      await this.deps.loadBalancer.addToRotation(
        target,
        this.context.application.serverIds.filter((id) => all.includes(id)).map((id) => this.member(id)),
        joining.map((id) => this.member(id)),
      );
    }
    for (const id of joining) {
      await this.saveInstance(id, { inRotation: true });
      await this.recorder.phase(batchNumber, id, 'in_rotation', 'In rotation');
    }
  }

  /**
   * Probes the instance on a server directly. A restored previous container is given the whole
   * `healthCheckTimeout` (not just `maxHealthCheckRetries` attempts): it is known to work, and giving up
   * on it early would leave the server out of rotation, so only the probe of a new instance stops on a cancel.
   */
  async probe(serverId: number, purpose: 'new' | 'restored' = 'new'): Promise<HealthCheckOutcome> {
    const d = this.deployment;
    const server = this.server(serverId);
    const host = server.host.includes(':') ? `[${server.host}]` : server.host;
    const deadlineMs = d.healthCheckTimeout * 1000;
    const intervalMs = d.healthCheckInterval * 1000;
    const attemptsInDeadline = Math.ceil(deadlineMs / Math.max(intervalMs, 100)) + 1;
    return this.deps.probe.check(
      {
        url: `http://${host}:${this.instance(serverId).hostPort}${d.healthCheckPath}`,
        intervalMs,
        deadlineMs,
        maxAttempts:
          purpose === 'new' ? d.maxHealthCheckRetries : Math.max(d.maxHealthCheckRetries, attemptsInDeadline),
        requestTimeoutMs: Math.min(this.deps.settings.healthRequestTimeoutMs, deadlineMs),
      },
      purpose === 'new' ? this.cancel : undefined,
    );
  }

  /** Removes the new container on a server, restarts the previous one, probes it and puts it back. */
  async restore(batchNumber: number, serverId: number): Promise<RestoreOutcome> {
    const server = this.server(serverId);
    const before = this.instance(serverId);
    await this.recorder.phase(batchNumber, serverId, 'rolling_back', 'Restoring the previous container');
    try {
      const hadPrevious = await this.operations(server).restorePrevious();
      if (!hadPrevious) {
        await this.saveInstance(serverId, {
          image: null,
          tag: null,
          status: 'absent',
          inRotation: false,
          previousImage: null,
          previousTag: null,
        });
        await this.recorder.phase(
          batchNumber,
          serverId,
          'rolled_back',
          'No previous container: new one removed',
        );
        return { restored: true, reason: null };
      }
      await this.saveInstance(serverId, {
        image: before.previousImage,
        tag: before.previousTag,
        status: 'running',
        inRotation: false,
        previousImage: null,
        previousTag: null,
      });
      const health = await this.probe(serverId, 'restored');
      if (!health.healthy) {
        await this.recorder.phase(
          batchNumber,
          serverId,
          'unhealthy',
          `Previous container unhealthy: ${health.message}`,
        );
        return {
          restored: false,
          reason: `${server.name} (${server.host}): restore failed: ${describeHealth(health)}`,
        };
      }
      await this.putBack([serverId], batchNumber);
      await this.recorder.phase(batchNumber, serverId, 'rolled_back', 'Previous container restored');
      return { restored: true, reason: null };
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      await this.recorder.phase(batchNumber, serverId, 'unhealthy', `Restore failed: ${reason}`);
      return { restored: false, reason: reason.includes(server.name) ? reason : `${server.name}: ${reason}` };
    }
  }

  private member(serverId: number): RotationMember {
    const server = this.server(serverId);
    return { serverId, serverName: server.name, host: server.host, port: this.instance(serverId).hostPort };
  }

  private loadBalancerTarget(): LoadBalancerTarget | null {
    const config = this.context.application.loadBalancer;
    if (config.type === 'none') return null;
    if (!this.context.loadBalancerServer) throw new Error('The load balancer server is no longer registered');
    return {
      application: this.context.application,
      config,
      server: this.context.loadBalancerServer,
    };
  }
}

export function describeHealth(outcome: HealthCheckOutcome): string {
  const last = outcome.lastError ?? (outcome.statusCode !== null ? `HTTP ${outcome.statusCode}` : null);
  return last ? `${outcome.message} (last: ${last})` : outcome.message;
}

export function recordedResult(outcome: HealthCheckOutcome): HealthCheckResult {
  const { healthy, statusCode, attempts, elapsedMs, message } = outcome;
  return { healthy, statusCode, attempts, elapsedMs, message };
}
