import { parseCases, parseCounts } from './cases';
import type { CaseFigures } from './fleet-bench';
import { renderResults, summarise, type BenchResults } from './report';
import { spread } from './stats';

const run = (rolloutMs: number, floorMs: number, ansibleMs: number | null) => ({
  rolloutMs,
  floorMs,
  ansibleMs,
  batches: 4,
  batchSize: 2,
  workerCpuSeconds: 0.8,
});
const figures: CaseFigures = {
  hosts: 8,
  batchCase: '25%',
  order: 'stop-first',
  runs: [run(6000, 5000, 25000), run(6400, 5200, 27000), run(5800, 4900, 26000)],
  ansibleSkipped: null,
};

describe('the benchmark report', () => {
  it('takes medians, and the min and max, of the runs', () => {
    expect(spread([3, 1, 2])).toEqual({ median: 2, min: 1, max: 3 });
    expect(spread([4, 1, 2, 3])).toEqual({ median: 2.5, min: 1, max: 4 });
    expect(() => spread([])).toThrow('no values');
  });

  it('gives Rollout / floor, the overhead per batch, the overhead ratio against Ansible and CPU per host', () => {
    const x = summarise(figures);
    expect(x.key).toBe('8 hosts, batches of 25%');
    expect(x.ratio).toBeCloseTo(6000 / 5000);
    expect(x.overheadPerBatchMs).toBeCloseTo(250);
    expect(x.overheadRatio).toBeCloseTo((26000 - 5000) / 1000);
    expect(x.workerCpuPerHostMs).toBeCloseTo(100);
  });

  it('renders the table, and a before → after row for a case the baseline has', () => {
    const results: BenchResults = {
      startedAt: '2026-12-02T18:00:00.000Z',
      machine: { CPU: 'test × 2', Rollout: 'abc1234' },
      runs: 3,
      fleets: [
        {
          hosts: 8,
          cases: [figures],
          peakRssMb: { api: 140, worker: 150 },
          skipped: ['batches of 1: 128 batches'],
        },
      ],
      api: null,
    };
    const before: BenchResults = {
      ...results,
      fleets: [{ ...results.fleets[0]!, cases: [{ ...figures, runs: [run(12000, 5000, null)] }] }],
    };
    const text = renderResults(results, before);
    expect(text).toContain(
      '| 8 hosts, batches of 25% | 4 | 6.00 s (5.80–6.40) | 5.00 s (4.90–5.20) | 1.20 | 250 ms |',
    );
    expect(text).toContain('| 8 hosts, batches of 25% | 12.00 s | 6.00 s | 2.40 → 1.20 | 1750 → 250 ms |');
    expect(text).toContain('- 8 hosts, batches of 1: 128 batches');
    expect(text).toContain('| 8 hosts | 140 MB | 150 MB | 25%: 100 ms |');
  });

  it('names the option and the word it cannot read', () => {
    expect(parseCases('1,100%').map((c) => c.settings.order)).toEqual(['stop-first', 'start-first']);
    expect(() => parseCases('50%')).toThrow('--batches: unknown case "50%"');
    expect(parseCounts('8,32', '--hosts')).toEqual([8, 32]);
    expect(() => parseCounts('8,x', '--hosts')).toThrow('--hosts: not a positive whole number: "x"');
  });
});
