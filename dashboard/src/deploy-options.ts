import type { RollingUpdateBody } from './types';

export type Preset = 'one' | 'quarter' | 'half' | 'all';

/** The contract's presets: one at a time (1, absolute), 25 %, 50 %, all at once (100 %). */
export const PRESETS: readonly { value: Preset; label: string; batchSize: number; percentage: boolean }[] = [
  { value: 'one', label: 'One at a time', batchSize: 1, percentage: false },
  { value: 'quarter', label: '25 %', batchSize: 25, percentage: true },
  { value: 'half', label: '50 %', batchSize: 50, percentage: true },
  { value: 'all', label: 'All at once', batchSize: 100, percentage: true },
];

/** A number input's model: a number, or '' while empty (the API's default then applies). */
export type NumberField = number | '';

export interface AdvancedOptions {
  waitInterval: NumberField;
  healthCheckPath: string;
  healthCheckTimeout: NumberField;
  healthCheckInterval: NumberField;
  maxHealthCheckRetries: NumberField;
  minimumHealthyInstances: NumberField;
  failureThreshold: NumberField;
  autoRollbackOnFailure: boolean;
  pauseAfterEachBatch: boolean;
  order: '' | 'stop-first' | 'start-first';
}

export function defaultAdvancedOptions(): AdvancedOptions {
  return {
    waitInterval: '',
    healthCheckPath: '',
    healthCheckTimeout: '',
    healthCheckInterval: '',
    maxHealthCheckRetries: '',
    minimumHealthyInstances: '',
    failureThreshold: '',
    autoRollbackOnFailure: true,
    pauseAfterEachBatch: false,
    order: '',
  };
}

const NUMBER_FIELDS = [
  'waitInterval',
  'healthCheckTimeout',
  'healthCheckInterval',
  'maxHealthCheckRetries',
  'minimumHealthyInstances',
  'failureThreshold',
] as const;

/**
 * The body of `plan` and `rolling-update`: the preset's batch size and only the options the person set,
 * so every other option keeps the API's default (and an API without an option is not sent it).
 */
export function rollingUpdateBody(preset: Preset, options: AdvancedOptions): RollingUpdateBody {
  const chosen = PRESETS.find((candidate) => candidate.value === preset) ?? PRESETS[1];
  const body: RollingUpdateBody = {
    batchSize: chosen?.batchSize ?? 25,
    batchSizeIsPercentage: chosen?.percentage ?? true,
    autoRollbackOnFailure: options.autoRollbackOnFailure,
  };
  for (const field of NUMBER_FIELDS) {
    const value = options[field];
    if (typeof value === 'number' && Number.isFinite(value)) body[field] = value;
  }
  const path = options.healthCheckPath.trim();
  if (path) body.healthCheckPath = path;
  if (options.pauseAfterEachBatch) body.pauseAfterEachBatch = true;
  if (options.order) body.order = options.order;
  return body;
}
