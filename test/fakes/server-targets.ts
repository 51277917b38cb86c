import type { ServerTarget } from '../../src/rollout/domain';

/** A server as the engine sees it: `web-N` on 10.0.0.N unless told otherwise. */
export function serverTarget(id: number, overrides: Partial<ServerTarget> = {}): ServerTarget {
  return {
    id,
    name: `web-${id}`,
    host: `10.0.0.${id}`,
    port: 22,
    user: 'root',
    privateKey: 'secret-key',
    hostKeyFingerprint: null,
    ...overrides,
  };
}
