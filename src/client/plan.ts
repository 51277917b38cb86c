import type { PlanJson } from './api-types';
import type { Paint } from './output';
import { nameOf, type ServerNames } from './progress';

/** `95` → `1 min 35 s`. */
export function duration(seconds: number): string {
  const whole = Math.round(seconds);
  if (whole < 60) return `${whole} s`;
  const minutes = Math.floor(whole / 60);
  const rest = whole % 60;
  if (minutes < 60) return rest === 0 ? `${minutes} min` : `${minutes} min ${rest} s`;
  const hours = Math.floor(minutes / 60);
  return `${hours} h ${minutes % 60} min`;
}

/**
 * What a rollout is about to do, for people:
 * ```
 * plan for shop: v1 → v2 (deployment 12), 4 batches, about 1 min 35 s
 *   batch 1  web-1, web-2
 *   at least 2 instances stay in rotation
 *   warning: …
 * ```
 */
export function planLines(
  plan: PlanJson,
  subject: { application: string; from: string | null; to: string; deploymentId: number },
  names: ServerNames,
  paint: Paint,
): string[] {
  const from = subject.from === null ? '' : `${subject.from} → `;
  const count = `${plan.batches.length} batch${plan.batches.length === 1 ? '' : 'es'}`;
  return [
    paint(
      `plan for ${subject.application}: ${from}${subject.to} (deployment ${subject.deploymentId}), ${count}, about ${duration(plan.estimatedSeconds)}`,
      'bold',
    ),
    ...plan.batches.map(
      (batch) => `  batch ${batch.batchNumber}  ${batch.serverIds.map((id) => nameOf(names, id)).join(', ')}`,
    ),
    `  at least ${plan.minimumInRotation} instance${plan.minimumInRotation === 1 ? ' stays' : 's stay'} in rotation`,
    ...plan.warnings.map((warning) => paint(`  warning: ${warning}`, 'yellow')),
  ];
}
