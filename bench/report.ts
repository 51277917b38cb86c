import type { ApiFigures } from './api';
import type { CaseFigures, FleetFigures } from './fleet-bench';
import { spread, type Spread } from './stats';

export interface BenchResults {
  startedAt: string;
  machine: Record<string, string>;
  runs: number;
  fleets: FleetFigures[];
  api: ApiFigures | null;
}

export interface CaseSummary {
  key: string;
  batches: number;
  rollout: Spread;
  floor: Spread;
  ansible: Spread | null;
  /** Median Rollout / median floor. */
  ratio: number;
  /** (Rollout − floor) / batches, medians, ms. */
  overheadPerBatchMs: number;
  /** (Ansible − floor) / (Rollout − floor), medians. */
  overheadRatio: number | null;
  workerCpuPerHostMs: number;
}

export function summarise(figures: CaseFigures): CaseSummary {
  const rollout = spread(figures.runs.map((r) => r.rolloutMs));
  const floor = spread(figures.runs.map((r) => r.floorMs));
  const ansibleRuns = figures.runs.map((r) => r.ansibleMs).filter((ms): ms is number => ms !== null);
  const ansible = ansibleRuns.length > 0 ? spread(ansibleRuns) : null;
  const batches = figures.runs[0]?.batches ?? 0;
  const overhead = rollout.median - floor.median;
  return {
    key: caseKey(figures),
    batches,
    rollout,
    floor,
    ansible,
    ratio: rollout.median / floor.median,
    overheadPerBatchMs: overhead / batches,
    overheadRatio: ansible ? (ansible.median - floor.median) / overhead : null,
    workerCpuPerHostMs: (spread(figures.runs.map((r) => r.workerCpuSeconds)).median * 1000) / figures.hosts,
  };
}

export function caseKey(figures: Pick<CaseFigures, 'hosts' | 'batchCase'>): string {
  return `${figures.hosts} hosts, batches of ${figures.batchCase}`;
}

const s = (ms: number) => (ms / 1000).toFixed(2);
const range = (x: Spread) => `${s(x.median)} s (${s(x.min)}–${s(x.max)})`;

/** The Markdown of bench/results.md; `baseline` adds the same cases measured before the changes. */
export function renderResults(results: BenchResults, baseline: BenchResults | null): string {
  const lines: string[] = [];
  lines.push('# Rollout benchmark', '');
  lines.push(
    `Measured ${results.startedAt} by \`npm run bench\` (bench/README.md says what each figure is).`,
    '',
  );
  for (const [key, value] of Object.entries(results.machine)) lines.push(`- ${key}: ${value}`);
  lines.push('', `Median of ${results.runs} runs, (min–max) beside it.`, '');
  lines.push(...caseTable(results));
  if (baseline) lines.push('', ...comparisonTable(baseline, results));
  lines.push(
    '',
    '## Resources',
    '',
    '| fleet | API peak RSS | worker peak RSS | worker CPU per host updated (median by case) |',
  );
  lines.push('|---|---|---|---|');
  for (const fleet of results.fleets) {
    const cpu = fleet.cases
      .map((c) => `${c.batchCase}: ${summarise(c).workerCpuPerHostMs.toFixed(0)} ms`)
      .join(', ');
    lines.push(
      `| ${fleet.hosts} hosts | ${fleet.peakRssMb.api.toFixed(0)} MB | ${fleet.peakRssMb.worker.toFixed(0)} MB | ${cpu} |`,
    );
  }
  if (results.api) lines.push('', ...apiSection(results.api));
  const leftOut = results.fleets.flatMap((f) => (f.skipped ?? []).map((why) => `${f.hosts} hosts, ${why}`));
  if (leftOut.length > 0) lines.push('', '## Cases left out', '', ...leftOut.map((why) => `- ${why}`));
  const skipped = results.fleets.flatMap((f) => f.cases).filter((c) => c.ansibleSkipped !== null);
  if (skipped.length > 0) {
    lines.push('', '## Ansible left out', '');
    for (const c of skipped) lines.push(`- ${caseKey(c)}: ${c.ansibleSkipped}`);
  }
  return `${lines.join('\n')}\n`;
}

function caseTable(results: BenchResults): string[] {
  const lines = [
    '| case | batches | Rollout | floor | Rollout / floor | overhead per batch | Ansible | Ansible / Rollout | overhead ratio (Ansible / Rollout) |',
    '|---|---|---|---|---|---|---|---|---|',
  ];
  for (const figures of results.fleets.flatMap((f) => f.cases)) {
    const x = summarise(figures);
    const order = figures.order === 'start-first' ? ' (start-first)' : '';
    lines.push(
      `| ${x.key}${order} | ${x.batches} | ${range(x.rollout)} | ${range(x.floor)} | ${x.ratio.toFixed(2)} | ` +
        `${x.overheadPerBatchMs.toFixed(0)} ms | ${x.ansible ? range(x.ansible) : '—'} | ` +
        `${x.ansible ? (x.ansible.median / x.rollout.median).toFixed(1) : '—'} | ` +
        `${x.overheadRatio === null ? '—' : `${x.overheadRatio.toFixed(1)}×`} |`,
    );
  }
  return lines;
}

function comparisonTable(baseline: BenchResults, results: BenchResults): string[] {
  const before = new Map(baseline.fleets.flatMap((f) => f.cases).map((c) => [caseKey(c), summarise(c)]));
  const lines = [
    `## Before and after the changes (before: measured ${baseline.startedAt}, ${baseline.machine['Rollout'] ?? ''})`,
    '',
    '| case | Rollout before | Rollout after | Rollout / floor before → after | overhead per batch before → after |',
    '|---|---|---|---|---|',
  ];
  for (const figures of results.fleets.flatMap((f) => f.cases)) {
    const after = summarise(figures);
    const was = before.get(after.key);
    if (!was) continue;
    lines.push(
      `| ${after.key} | ${s(was.rollout.median)} s | ${s(after.rollout.median)} s | ${was.ratio.toFixed(2)} → ${after.ratio.toFixed(2)} | ` +
        `${was.overheadPerBatchMs.toFixed(0)} → ${after.overheadPerBatchMs.toFixed(0)} ms |`,
    );
  }
  return lines;
}

function apiSection(api: ApiFigures): string[] {
  const row = (name: string, x: ApiFigures['batches']) =>
    `| ${name} | ${x.requests} | ${x.perSecond.toFixed(0)} | ${x.p50Ms} ms | ${x.p99Ms} ms | ${x.non2xx} |`;
  return [
    '## API and events',
    '',
    '| request | requests | per second | p50 | p99 | non-2xx |',
    '|---|---|---|---|---|---|',
    row('POST /api/deployments/:id/rolling-update', api.rollingUpdate),
    row('GET /api/deployments/:id/batches', api.batches),
    '',
    `socket.io, from the worker's emit to ${api.socket.subscribers} subscribers: ${api.socket.events} events, ` +
      `p50 ${api.socket.p50Ms.toFixed(1)} ms, p99 ${api.socket.p99Ms.toFixed(1)} ms, ${api.socket.lost} lost.`,
  ];
}
