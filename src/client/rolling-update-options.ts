import { type Command, InvalidArgumentError } from 'commander';
import { type BatchSize, parseBatch, parseSeconds, wholeNumber } from './arguments';

/** The rolling-update options a command was given; anything absent is left to the API's defaults. */
export interface RolloutFlags {
  batch?: BatchSize;
  wait?: number;
  healthPath?: string;
  healthTimeout?: number;
  healthInterval?: number;
  maxRetries?: number;
  minHealthy?: number;
  failureThreshold?: number;
  successThreshold?: number;
  /** false with `--no-auto-rollback`. */
  autoRollback?: boolean;
  order?: string;
  startPeriod?: number;
  minReady?: number;
  progressDeadline?: number;
  pauseAfterEachBatch?: boolean;
}

function parseOrder(value: string): string {
  if (value !== 'stop-first' && value !== 'start-first') {
    throw new InvalidArgumentError('Give stop-first or start-first.');
  }
  return value;
}

export function addRolloutOptions(command: Command): Command {
  return command
    .option(
      '--batch <size>',
      'servers per batch: a percentage (25%) or a number (3); the API defaults to 25%',
      parseBatch,
    )
    .option('--wait <seconds>', 'pause between batches (the API defaults to 30)', parseSeconds)
    .option('--health-path <path>', "health check path (default: the application's)")
    .option(
      '--health-timeout <seconds>',
      'how long an instance may take to pass its health check',
      parseSeconds,
    )
    .option('--health-interval <seconds>', 'time between health probes', parseSeconds)
    .option(
      '--max-retries <count>',
      'failed health probes before an instance counts as unhealthy',
      wholeNumber(1),
    )
    .option('--success-threshold <count>', 'consecutive passing probes an instance needs', wholeNumber(1))
    .option('--min-healthy <count>', 'instances that must stay in rotation throughout', wholeNumber(0))
    .option('--failure-threshold <count>', 'failed batches before the rollout stops', wholeNumber(1))
    .option('--no-auto-rollback', 'leave the fleet as it is when the rollout fails')
    .option('--order <order>', 'stop-first or start-first', parseOrder)
    .option(
      '--start-period <seconds>',
      'after a start, failing probes do not count for this long',
      parseSeconds,
    )
    .option(
      '--min-ready <seconds>',
      'an instance keeps passing this long before its batch completes',
      parseSeconds,
    )
    .option(
      '--progress-deadline <seconds>',
      'the rollout fails after this long without a completed batch',
      parseSeconds,
    )
    .option('--pause-after-each-batch', 'pause after every batch until rollout resume');
}

/** The body of `rolling-update` (and `plan`): only what was given, under the contract's names. */
export function rollingUpdateBody(flags: RolloutFlags): Record<string, unknown> {
  const body: Record<string, unknown> = { ...(flags.batch ?? {}) };
  const fields: [keyof RolloutFlags, string][] = [
    ['wait', 'waitInterval'],
    ['healthPath', 'healthCheckPath'],
    ['healthTimeout', 'healthCheckTimeout'],
    ['healthInterval', 'healthCheckInterval'],
    ['maxRetries', 'maxHealthCheckRetries'],
    ['successThreshold', 'successThreshold'],
    ['minHealthy', 'minimumHealthyInstances'],
    ['failureThreshold', 'failureThreshold'],
    ['order', 'order'],
    ['startPeriod', 'startPeriod'],
    ['minReady', 'minReadySeconds'],
    ['progressDeadline', 'progressDeadline'],
  ];
  for (const [flag, field] of fields) {
    if (flags[flag] !== undefined) body[field] = flags[flag];
  }
  if (flags.autoRollback === false) body.autoRollbackOnFailure = false;
  if (flags.pauseAfterEachBatch === true) body.pauseAfterEachBatch = true;
  return body;
}
