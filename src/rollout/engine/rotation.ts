import type { RolloutContext } from '../domain';
import type { LoadBalancer, LoadBalancerTarget, RotationMember } from '../ports';
import type { FleetState } from './fleet-state';
import type { RolloutRecorder } from './rollout-recorder';

/** A server in rotation whose instance now serves on `hostPort`. */
export interface PortMove {
  serverId: number;
  hostPort: number;
}

/**
 * Which servers the load balancer sends traffic to: takes servers out (and waits for the drain), puts them
 * back, and undoes a drain that failed half-way. Changes run one at a time, each computing the full member
 * list from the latest state, so two parallel restores never overwrite each other's change.
 */
export class Rotation {
  private turn: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly fleet: FleetState,
    private readonly context: RolloutContext,
    private readonly loadBalancer: LoadBalancer,
    private readonly recorder: RolloutRecorder,
  ) {}

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

  /**
   * `start-first`: servers in rotation now serve on the given ports (the new container beside the old one);
   * returns once the old addresses had their drain. A failure moves them back as far as it can and throws
   * LoadBalancerError.
   */
  move(moves: PortMove[]): Promise<void> {
    return this.exclusively(() => this.moveNow(moves));
  }

  private exclusively(change: () => Promise<void>): Promise<void> {
    const turn = this.turn.then(change, change);
    this.turn = turn.catch(() => undefined);
    return turn;
  }

  private async takeOutNow(serverIds: number[], signal?: AbortSignal): Promise<void> {
    const leaving = serverIds.filter((id) => this.fleet.instance(id).inRotation);
    if (leaving.length === 0) return;
    const target = this.target();
    if (target) {
      const remaining = this.fleet.inRotation().filter((id) => !leaving.includes(id));
      const leavingMembers = leaving.map((id) => this.member(id));
      try {
        await this.loadBalancer.removeFromRotation(
          target,
          remaining.map((id) => this.member(id)),
          leavingMembers,
          signal,
        );
      } catch (error) {
        await this.undoHalfAppliedDrain(target, leavingMembers);
        throw error;
      }
    }
    for (const id of leaving) await this.fleet.setInRotation(id, false);
  }

  /** A failed removal may have half-applied (e.g. one HAProxy server already draining): best effort back. */
  private async undoHalfAppliedDrain(target: LoadBalancerTarget, leaving: RotationMember[]): Promise<void> {
    const all = this.fleet.inRotation().map((id) => this.member(id));
    await this.loadBalancer.addToRotation(target, all, leaving).catch(() => undefined);
  }

  private async putBackNow(serverIds: number[], batchNumber: number): Promise<void> {
    const joining = serverIds.filter((id) => !this.fleet.instance(id).inRotation);
    if (joining.length === 0) return;
    const target = this.target();
    if (target) {
      const all = [...new Set([...this.fleet.inRotation(), ...joining])];
      await this.loadBalancer.addToRotation(
        target,
        this.context.application.serverIds.filter((id) => all.includes(id)).map((id) => this.member(id)),
        joining.map((id) => this.member(id)),
      );
    }
    for (const id of joining) {
      await this.fleet.setInRotation(id, true);
      await this.recorder.phase(batchNumber, id, 'in_rotation', 'In rotation');
    }
  }

  private async moveNow(moves: PortMove[]): Promise<void> {
    const moving = moves.filter((m) => this.fleet.instance(m.serverId).inRotation);
    if (moving.length === 0) return;
    const target = this.target();
    if (target) {
      const ports = new Map(moving.map((m) => [m.serverId, m.hostPort]));
      const serving = this.fleet.inRotation();
      const after = serving.map((id) => this.member(id, ports.get(id)));
      const moved = moving.map((m) => this.member(m.serverId, m.hostPort));
      try {
        await this.loadBalancer.moveInRotation(target, after, moved);
      } catch (error) {
        const before = serving.map((id) => this.member(id));
        const back = moving.map((m) => this.member(m.serverId));
        await this.loadBalancer.moveInRotation(target, before, back).catch(() => undefined);
        throw error;
      }
    }
    for (const m of moving) await this.fleet.setHostPort(m.serverId, m.hostPort);
  }

  private member(serverId: number, port = this.fleet.instance(serverId).hostPort): RotationMember {
    const server = this.fleet.server(serverId);
    return { serverId, serverName: server.name, host: server.host, port };
  }

  private target(): LoadBalancerTarget | null {
    const config = this.context.application.loadBalancer;
    if (config.type === 'none') return null;
    if (!this.context.loadBalancerServer) throw new Error('The load balancer server is no longer registered');
    return { application: this.context.application, config, server: this.context.loadBalancerServer };
  }
}
