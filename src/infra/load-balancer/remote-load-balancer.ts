import { Injectable } from '@nestjs/common';
import { Clock } from '../../common/clock';
import type { LoadBalancerConfig } from '../../rollout/domain';
import {
  LoadBalancer,
  LoadBalancerError,
  LoadBalancerTarget,
  RotationMember,
} from '../../rollout/ports/load-balancer.port';
import { RemoteExecutor } from '../../rollout/ports/remote-executor.port';
import { HaproxyDriver } from './haproxy-driver';
import { UnsafeConfigValueError } from '../../rollout/commands/proxy-names';
import { NginxDriver } from './nginx-driver';
import { NoLoadBalancer } from './no-load-balancer';
import type { LoadBalancerDriver } from './remote-steps';
import { TraefikDriver } from './traefik-driver';

type Change = 'remove' | 'add' | 'move';

/** The LoadBalancer port: a dispatcher routing each call to the driver of `target.config.type`, over SSH. */
@Injectable()
export class RemoteLoadBalancer extends LoadBalancer {
  private readonly traefik: TraefikDriver;
  private readonly nginx: NginxDriver;
  private readonly haproxy: HaproxyDriver;
  private readonly none = new NoLoadBalancer();

  constructor(executor: RemoteExecutor, clock: Clock) {
    super();
    this.traefik = new TraefikDriver(executor, clock);
    this.nginx = new NginxDriver(executor, clock);
    this.haproxy = new HaproxyDriver(executor, clock);
  }

  removeFromRotation(
    target: LoadBalancerTarget,
    remaining: RotationMember[],
    leaving: RotationMember[],
    signal?: AbortSignal,
  ): Promise<void> {
    return this.route('remove', target, remaining, leaving, signal);
  }

  addToRotation(target: LoadBalancerTarget, all: RotationMember[], joining: RotationMember[]): Promise<void> {
    return this.route('add', target, all, joining);
  }

  moveInRotation(target: LoadBalancerTarget, all: RotationMember[], moved: RotationMember[]): Promise<void> {
    return this.route('move', target, all, moved);
  }

  private async route(
    change: Change,
    target: LoadBalancerTarget,
    members: RotationMember[],
    changed: RotationMember[],
    signal?: AbortSignal,
  ): Promise<void> {
    // The port's type excludes `none`, but a caller may still pass an application's config unchanged.
    const config = target.config as LoadBalancerConfig;
    try {
      switch (config.type) {
        case 'none':
          return await applyChange(this.none, change, target, members, changed, signal);
        case 'traefik':
          return await applyChange(this.traefik, change, { ...target, config }, members, changed, signal);
        case 'nginx':
          return await applyChange(this.nginx, change, { ...target, config }, members, changed, signal);
        case 'haproxy':
          return await applyChange(this.haproxy, change, { ...target, config }, members, changed, signal);
        default:
          throw new LoadBalancerError(
            `unknown load balancer type ${JSON.stringify((config as { type: unknown }).type)}`,
          );
      }
    } catch (error) {
      if (error instanceof LoadBalancerError) throw error;
      const reason = error instanceof UnsafeConfigValueError ? 'configuration rejected: ' : '';
      throw new LoadBalancerError(`${config.type} load balancer: ${reason}${(error as Error).message}`);
    }
  }
}

function applyChange<T>(
  driver: LoadBalancerDriver<T>,
  change: Change,
  target: T,
  members: RotationMember[],
  changed: RotationMember[],
  signal?: AbortSignal,
): Promise<void> {
  switch (change) {
    case 'add':
      return driver.addToRotation(target, members, changed);
    case 'move':
      return driver.moveInRotation(target, members, changed);
    case 'remove':
      return driver.removeFromRotation(target, members, changed, signal);
  }
}
