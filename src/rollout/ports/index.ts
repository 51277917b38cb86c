export * from './remote-executor.port';
export * from './health-probe.port';
export * from './load-balancer.port';
export * from './rollout-store.port';
export * from './rollout-events.port';
