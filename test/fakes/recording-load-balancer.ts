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

  removeFromRotation(
    _t: LoadBalancerTarget,
    remaining: RotationMember[],
    leaving: RotationMember[],
    signal?: AbortSignal,
  ): Promise<void> {
    const failure = this.takeFailure();
    if (failure) return Promise.reject(failure);
    this.calls.push(`remove ${names(leaving)} → [${names(remaining)}]`);
    this.removalSignals.push(signal);
    this.onRemove?.();
    return Promise.resolve();
  }

  addToRotation(_t: LoadBalancerTarget, all: RotationMember[], joining: RotationMember[]): Promise<void> {
    const failure = this.takeFailure();
    if (failure) return Promise.reject(failure);
    this.calls.push(`add ${names(joining)} → [${names(all)}]`);
    return Promise.resolve();
  }

  moveInRotation(_t: LoadBalancerTarget, all: RotationMember[], moved: RotationMember[]): Promise<void> {
    const failure = this.takeFailure();
    if (failure) return Promise.reject(failure);
    this.calls.push(`move ${moved.map((m) => `${m.serverName}:${m.port}`).join(',')} → [${names(all)}]`);
    return Promise.resolve();
  }

  /** `failNext`, once: the next call after it succeeds again. */
  private takeFailure(): Error | null {
    const error = this.failNext;
    this.failNext = null;
    return error;
  }
}

const names = (members: RotationMember[]) => members.map((m) => m.serverName).join(',');
