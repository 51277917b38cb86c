/** The servers an application runs on, its load balancer, and what runs where. */

/** Everything needed to open an SSH session. The private key is decrypted and lives only in memory. */
export interface ServerTarget {
  id: number;
  name: string;
  host: string;
  port: number;
  user: string;
  privateKey: string;
  hostKeyFingerprint: string | null;
}

export type LoadBalancerConfig =
  | { type: 'none' }
  | { type: 'traefik'; serverId: number; configPath: string; domain: string; drainSeconds: number }
  | {
      type: 'nginx';
      serverId: number;
      configPath: string;
      listenPort: number;
      domain: string | null;
      reloadCommand: string;
      testCommand: string;
      drainSeconds: number;
    }
  | { type: 'haproxy'; serverId: number; backend: string; socketPath: string; drainSeconds: number };

export type LoadBalancerType = LoadBalancerConfig['type'];

export interface ApplicationSpec {
  id: number;
  name: string;
  image: string;
  tag: string;
  containerPort: number;
  hostPort: number;
  /** The port a `start-first` swap starts the new container on beside the old one (default hostPort + 1). */
  alternateHostPort: number;
  env: Record<string, string>;
  /**
   * Decrypted secret env (absent: none). Only in the worker's memory: it reaches the container through an
   * env file written over SSH's stdin, and is masked in everything recorded.
   */
  secretEnv?: Record<string, string>;
  healthCheckPath: string;
  serverIds: number[];
  loadBalancer: LoadBalancerConfig;
  /** Whole seconds the old container gets on `docker stop -t`. */
  stopTimeout: number;
  /** `MemAvailable` a server must have before a batch starts on it. */
  minFreeMemoryMb: number;
  /** Free space a server must have on `dockerDataPath` (or `/` when that path does not exist). */
  minFreeDiskMb: number;
  /** Where Docker keeps images on the servers. */
  dockerDataPath: string;
}

export type InstanceStatus = 'running' | 'stopped' | 'absent' | 'unknown';

/** What Rollout believes runs on one server for one application; the port is state, not a constant. */
export interface InstanceState {
  serverId: number;
  image: string | null;
  tag: string | null;
  status: InstanceStatus;
  inRotation: boolean;
  hostPort: number;
  /** The image:tag of the `<name>-previous` container kept on the server, when there is one. */
  previousImage: string | null;
  previousTag: string | null;
}
