import type { LoadBalancerConfig, ServerTarget } from '../domain';

/** One application instance as the load balancer addresses it. */
export interface RotationMember {
  serverId: number;
  /** The server's name in Rollout: HAProxy's server name in the backend. */
  serverName: string;
  host: string;
  port: number;
}

/** The application whose instances a proxy object routes to. */
export interface ApplicationRef {
  id: number;
  name: string;
}

export interface LoadBalancerTarget {
  /** Names the proxy objects Rollout writes (Traefik router/service, nginx upstream). */
  application: ApplicationRef;
  config: Exclude<LoadBalancerConfig, { type: 'none' }>;
  /** The server the load balancer runs on, reached over SSH. */
  server: ServerTarget;
}

export abstract class LoadBalancer {
  /**
   * Takes `leaving` out of rotation so that exactly `remaining` serve, then returns once the change is
   * applied and in-flight requests had `drainSeconds` to finish (HAProxy: or current sessions reached 0).
   * When `signal` aborts (a cancel) the wait ends at once; the change itself stays applied.
   */
  abstract removeFromRotation(
    target: LoadBalancerTarget,
    remaining: RotationMember[],
    leaving: RotationMember[],
    signal?: AbortSignal,
  ): Promise<void>;

  /** Puts `joining` into rotation so that exactly `all` serve. */
  abstract addToRotation(
    target: LoadBalancerTarget,
    all: RotationMember[],
    joining: RotationMember[],
  ): Promise<void>;

  /**
   * `start-first`: the instances in `moved` (already in rotation) now serve at the port given there, beside
   * the old container; exactly `all` serve afterwards. Returns once the old addresses had `drainSeconds` to
   * finish their in-flight requests. No server line ever leaves rotation.
   */
  abstract moveInRotation(
    target: LoadBalancerTarget,
    all: RotationMember[],
    moved: RotationMember[],
  ): Promise<void>;
}

/** Raised by a load balancer adapter; the message names the step and carries the remote output. */
export class LoadBalancerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LoadBalancerError';
  }
}
