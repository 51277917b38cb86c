import type { RolloutSettings } from './rollout-run';

export type CaseName = '1' | '25%' | '100%';

export interface BenchCase {
  name: CaseName;
  settings: RolloutSettings;
}

/** Batches of one server, of a quarter of the fleet, and all at once (start-first: nothing leaves rotation). */
export const CASES: Record<CaseName, BenchCase> = {
  '1': { name: '1', settings: { batchSize: 1, batchSizeIsPercentage: false, order: 'stop-first' } },
  '25%': { name: '25%', settings: { batchSize: 25, batchSizeIsPercentage: true, order: 'stop-first' } },
  '100%': { name: '100%', settings: { batchSize: 100, batchSizeIsPercentage: true, order: 'start-first' } },
};

export function parseCases(list: string): BenchCase[] {
  return list.split(',').map((name) => {
    const found = CASES[name.trim() as CaseName];
    if (!found) throw new Error(`--batches: unknown case ${JSON.stringify(name)} (use 1, 25%, 100%)`);
    return found;
  });
}

export function parseCounts(list: string, option: string): number[] {
  return list.split(',').map((word) => {
    const n = Number(word);
    if (!Number.isInteger(n) || n < 1)
      throw new Error(`${option}: not a positive whole number: ${JSON.stringify(word)}`);
    return n;
  });
}
