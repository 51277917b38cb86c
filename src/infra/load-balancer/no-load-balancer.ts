import { LoadBalancer } from '../../rollout/ports/load-balancer.port';
import type { LoadBalancerDriver } from './remote-steps';

/** For applications with `loadBalancer.type: none`: nothing routes to the instances, so nothing changes. */
export class NoLoadBalancer extends LoadBalancer implements LoadBalancerDriver<unknown> {
  async removeFromRotation(): Promise<void> {}

  async addToRotation(): Promise<void> {}

  async moveInRotation(): Promise<void> {}
}
