import { LoadBalancer, LoadBalancerTarget, RotationMember } from '../../src/rollout/ports';

/** Records each rotation change as `remove a,b → [rest]` / `add a → [all]` with server names. */
export class RecordingLoadBalancer extends LoadBalancer {
  readonly calls: string[] = [];
  failNext: Error | null = null;

  async removeFromRotation(_t: LoadBalancerTarget, remaining: RotationMember[], leaving: RotationMember[]) {
    this.maybeFail();
    this.calls.push(`remove ${names(leaving)} → [${names(remaining)}]`);
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
