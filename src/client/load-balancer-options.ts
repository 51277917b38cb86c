import { UsageError } from './errors';

export const LOAD_BALANCER_TYPES = ['none', 'traefik', 'nginx', 'haproxy'] as const;
export type LoadBalancerType = (typeof LOAD_BALANCER_TYPES)[number];

/** The `--lb-*` options of `apps create`, as commander hands them over. */
export interface LoadBalancerOptions {
  lb: string;
  lbServer?: string;
  lbConfigPath?: string;
  lbDomain?: string;
  lbListenPort?: number;
  lbBackend?: string;
  lbSocketPath?: string;
  lbReloadCommand?: string;
  lbTestCommand?: string;
  lbDrainSeconds?: number;
}

type Field = Exclude<keyof LoadBalancerOptions, 'lb'>;

const FLAG: Readonly<Record<Field, string>> = {
  lbServer: '--lb-server',
  lbConfigPath: '--lb-config-path',
  lbDomain: '--lb-domain',
  lbListenPort: '--lb-listen-port',
  lbBackend: '--lb-backend',
  lbSocketPath: '--lb-socket-path',
  lbReloadCommand: '--lb-reload-command',
  lbTestCommand: '--lb-test-command',
  lbDrainSeconds: '--lb-drain-seconds',
};

/** Per type: the options it needs, the ones it may take, and the contract's field name of each. */
const SHAPES: Readonly<Record<LoadBalancerType, { required: Field[]; optional: Field[] }>> = {
  none: { required: [], optional: [] },
  traefik: { required: ['lbServer', 'lbConfigPath', 'lbDomain'], optional: ['lbDrainSeconds'] },
  nginx: {
    required: ['lbServer', 'lbConfigPath', 'lbListenPort'],
    optional: ['lbDomain', 'lbReloadCommand', 'lbTestCommand', 'lbDrainSeconds'],
  },
  haproxy: { required: ['lbServer', 'lbBackend'], optional: ['lbSocketPath', 'lbDrainSeconds'] },
};

const FIELD: Readonly<Record<Exclude<Field, 'lbServer'>, string>> = {
  lbConfigPath: 'configPath',
  lbDomain: 'domain',
  lbListenPort: 'listenPort',
  lbBackend: 'backend',
  lbSocketPath: 'socketPath',
  lbReloadCommand: 'reloadCommand',
  lbTestCommand: 'testCommand',
  lbDrainSeconds: 'drainSeconds',
};

function isType(value: string): value is LoadBalancerType {
  return (LOAD_BALANCER_TYPES as readonly string[]).includes(value);
}

/**
 * The application's `loadBalancer` object from the `--lb` options: a missing option the type needs, or
 * one it does not take, is named. `serverIdOf` turns `--lb-server` (id or name) into an id.
 */
export function loadBalancerBody(
  options: LoadBalancerOptions,
  serverIdOf: (reference: string) => number,
): Record<string, unknown> {
  if (!isType(options.lb)) {
    throw new UsageError(`--lb must be one of ${LOAD_BALANCER_TYPES.join(', ')}, not "${options.lb}"`);
  }
  const type = options.lb;
  const shape = SHAPES[type];
  const given = (Object.keys(FLAG) as Field[]).filter((field) => options[field] !== undefined);
  const missing = shape.required.filter((field) => !given.includes(field));
  if (missing.length > 0) {
    throw new UsageError(`--lb ${type} needs ${missing.map((field) => FLAG[field]).join(', ')}`);
  }
  const extra = given.filter((field) => !shape.required.includes(field) && !shape.optional.includes(field));
  if (extra.length > 0) {
    throw new UsageError(`--lb ${type} does not take ${extra.map((field) => FLAG[field]).join(', ')}`);
  }
  const body: Record<string, unknown> = { type };
  for (const field of given) {
    if (field === 'lbServer') body.serverId = serverIdOf(options.lbServer ?? '');
    else body[FIELD[field]] = options[field];
  }
  return body;
}
