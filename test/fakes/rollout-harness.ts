import type { ApplicationSpec, DeploymentView } from '../../src/rollout/domain';
import { RollingUpdateStrategy } from '../../src/rollout/engine/rolling-update.strategy';
import { RolloutSettings } from '../../src/rollout/engine/rollout-settings';
import { FakeCapacity } from './fake-capacity';
import { FakeDocker } from './fake-docker';
import { FixedClock } from './fixed-clock';
import { MemoryRolloutStore } from './memory-rollout-store';
import { RecordingEvents } from './recording-events';
import { RecordingExecutor } from './recording-executor';
import { RecordingLoadBalancer } from './recording-load-balancer';
import { ScriptedProbe } from './scripted-probe';
import { serverTarget } from './server-targets';

/**
 * The engine on recording fakes: servers web-1…web-n (10.0.0.n) running `shop` v1 behind an HAProxy on lb-1,
 * and deployment 7 to v2 in batches of 2. The engine's specs share it.
 */
export const IMAGE = 'ghcr.io/acme/shop';
export const server = (id: number) => serverTarget(id);
export const lbServer = serverTarget(9, { name: 'lb-1' });

/** The capacity check as the default application sends it (`commands/capacity-commands.ts`). */
export const CAPACITY_CHECK = `sh -c 'export LC_ALL=C; p=$1; [ -e "$p" ] || p=/; echo "path $p"; grep ^MemAvailable: /proc/meminfo || { echo no MemAvailable line in /proc/meminfo >&2; exit 1; }; df -P -k "$p"' sh /var/lib/docker`;

export function application(serverIds: number[]): ApplicationSpec {
  return {
    id: 1,
    name: 'shop',
    image: IMAGE,
    tag: 'v1',
    containerPort: 3000,
    hostPort: 8080,
    alternateHostPort: 8081,
    env: { NODE_ENV: 'production' },
    healthCheckPath: '/health',
    serverIds,
    loadBalancer: {
      type: 'haproxy',
      serverId: 9,
      backend: 'shop',
      socketPath: '/run/haproxy/admin.sock',
      drainSeconds: 5,
    },
    stopTimeout: 10,
    minFreeMemoryMb: 256,
    minFreeDiskMb: 1024,
    dockerDataPath: '/var/lib/docker',
  };
}

export interface Options {
  servers?: number;
  running?: 'v1' | 'none';
  deployment?: Partial<DeploymentView>;
  /** Fields of the application to change (e.g. `stopTimeout`, `minFreeMemoryMb`). */
  app?: Partial<ApplicationSpec>;
}

export function setup({ servers = 4, running = 'v1', deployment = {}, app = {} }: Options = {}) {
  const ids = Array.from({ length: servers }, (_, i) => i + 1);
  const store = new MemoryRolloutStore({ ...application(ids), ...app }, ids.map(server), lbServer, {
    batchSize: 2,
    batchSizeIsPercentage: false,
    ...deployment,
  });
  const docker = new FakeDocker();
  if (running === 'v1') {
    for (const id of ids) {
      store.seedInstance(id, { image: IMAGE, tag: 'v1', status: 'running', inRotation: true });
      docker.seed(`web-${id}`, 'shop', `${IMAGE}:v1`);
    }
  }
  const capacity = new FakeCapacity();
  const executor = new RecordingExecutor().use(docker.responder).use(capacity.responder);
  const probe = new ScriptedProbe();
  const lb = new RecordingLoadBalancer();
  const events = new RecordingEvents();
  const clock = new FixedClock();
  const settings = new RolloutSettings();
  const strategy = new RollingUpdateStrategy(store, events, executor, probe, lb, clock, settings);
  return {
    store,
    docker,
    capacity,
    executor,
    probe,
    lb,
    events,
    clock,
    settings,
    strategy,
    run: () => strategy.run(7),
  };
}

export type Harness = ReturnType<typeof setup>;

export const imageOn = (docker: FakeDocker, id: number) => docker.container(`web-${id}`, 'shop')?.image;
