/** Domain types shared by the engine, its ports and the adapters. No framework imports. */
export * from './deployment';
export * from './batch';
export * from './fleet';
export * from './rollout-context';
