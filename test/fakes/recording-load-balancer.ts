import { LoadBalancer, LoadBalancerTarget, RotationMember } from '../../src/rollout/ports';

/**
 * Records each rotation change as `remove a,b → [rest]` / `add a → [all]` with server names, and the cancel
 * signal of each removal. `onRemove` runs during a removal's drain wait (e.g. to cancel then).
 */
export class RecordingLoadBalancer extends LoadBalancer {
  readonly calls: string[] = [];
  readonly removalSignals: (AbortSignal | undefined)[] = [];
  onRemove: (() => void) | null = null;
  failNext: Error | null = null;

  async removeFromRotation(
    _t: LoadBalancerTarget,
    remaining: RotationMember[],
    leaving: RotationMember[],
    signal?: AbortSignal,
  ) {
    this.maybeFail();
    this.calls.push(`remove ${names(leaving)} → [${names(remaining)}]`);
    this.removalSignals.push(signal);
    this.onRemove?.();
  }

  async addToRotation(_t: LoadBalancerTarget, all: RotationMember[], joining: RotationMember[]) {
    this.maybeFail();
    this.calls.push(`add ${names(joining)} → [${names(all)}]`);
  }

  private maybeFail() {
    const error = this.failNext;
    this.failNext = null;
    if (error) throw error;
  }
}

const names = (members: RotationMember[]) => members.map((m) => m.serverName).join(',');
