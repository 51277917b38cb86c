import { planBatches, serversPerBatch } from './batches';
import { checkBatchBudget, checkSizingBudget, checkStartingBudget } from './budget';
import { currentVersion } from './current-version';
import { nextStep, trailingFailures, RolloutState } from './transitions';
import { progressDeadlineLeftMs } from './progress-deadline';
import type { BatchStatus } from '../domain';

const ids = (n: number) => Array.from({ length: n }, (_, i) => i + 1);
const sizes = (batches: number[][]) => batches.map((b) => b.length);

describe('serversPerBatch', () => {
  it.each([
    [10, 25, true, 3],
    [10, 50, true, 5],
    [10, 100, true, 10],
    [10, 1, true, 1],
    [4, 25, true, 1],
    [6, 33, true, 2],
    [3, 1, false, 1],
    [10, 2, false, 2],
    [10, 20, false, 10],
    [1, 25, true, 1],
    [0, 25, true, 0],
  ])('%i servers at %i (percentage %s) → %i per batch', (n, size, pct, expected) => {
    expect(serversPerBatch(n, size, pct)).toBe(expected);
  });
});

describe('planBatches', () => {
  it.each([
    [10, 25, true, [3, 3, 3, 1]],
    [10, 2, false, [2, 2, 2, 2, 2]],
    [6, 2, false, [2, 2, 2]],
    [6, 100, true, [6]],
    [5, 1, false, [1, 1, 1, 1, 1]],
    [7, 50, true, [4, 3]],
    [0, 25, true, []],
  ])('%i servers, batchSize %i (percentage %s) → %j', (n, size, pct, expected) => {
    expect(sizes(planBatches(ids(n), size, pct))).toEqual(expected);
  });

  it('keeps the servers in their given order', () => {
    expect(planBatches([9, 4, 7, 1], 2, false)).toEqual([
      [9, 4],
      [7, 1],
    ]);
  });
});

describe('checkBatchBudget', () => {
  it.each([
    [[1, 2, 3, 4, 5, 6], [1, 2], 4, true],
    [[1, 2, 3, 4, 5, 6], [1, 2, 3], 4, false],
    [[1, 2], [1, 2], 1, false],
    [[], [1, 2], 1, true],
    [[3, 4], [1, 2], 2, true],
    [[1, 2, 3], [1], 0, true],
  ])('in rotation %j, batch %j, minimum %i → allowed %s', (inRotation, batch, minimumHealthy, allowed) => {
    expect(checkBatchBudget({ inRotation, batch, minimumHealthy, order: 'stop-first' }).allowed).toBe(
      allowed,
    );
  });

  it('explains a refusal with the contract wording', () => {
    const verdict = checkBatchBudget({
      inRotation: [1, 2, 3],
      batch: [1, 2],
      minimumHealthy: 2,
      order: 'stop-first',
    });
    expect(verdict).toEqual({
      allowed: false,
      reason:
        'Insufficient healthy instances. Current: 1, Minimum required: 2 (taking 2 of 3 in-rotation servers out would leave 1)',
    });
  });
});

describe('checkStartingBudget', () => {
  it.each([
    [0, 0, 3, true],
    [2, 4, 3, false],
    [3, 4, 3, true],
    [0, 2, 1, false],
  ])(
    '%i in rotation of %i instances, minimum %i → allowed %s',
    (inRotation, existing, minimumHealthy, allowed) => {
      expect(checkStartingBudget({ inRotation, existingInstances: existing, minimumHealthy }).allowed).toBe(
        allowed,
      );
    },
  );

  it('uses the exact message', () => {
    expect(checkStartingBudget({ inRotation: 1, existingInstances: 4, minimumHealthy: 2 })).toEqual({
      allowed: false,
      reason: 'Insufficient healthy instances. Current: 1, Minimum required: 2',
    });
  });
});

describe('checkSizingBudget', () => {
  it.each([
    [10, 3, 7, true],
    [10, 3, 8, false],
    [4, 4, 1, false],
    [4, 4, 0, true],
  ])(
    '%i servers, largest batch %i, minimum %i → allowed %s',
    (serverCount, largestBatch, minimumHealthy, allowed) => {
      expect(
        checkSizingBudget({ serverCount, largestBatch, minimumHealthy, order: 'stop-first' }).allowed,
      ).toBe(allowed);
    },
  );
});

function state(statuses: BatchStatus[], overrides: Partial<RolloutState> = {}): RolloutState {
  return {
    status: 'in_progress',
    cancelRequested: false,
    pauseRequested: false,
    failureThreshold: 2,
    autoRollbackOnFailure: true,
    batches: statuses.map((status, i) => ({ batchNumber: i + 1, status })),
    ...overrides,
  };
}

describe('trailingFailures', () => {
  it.each<[BatchStatus[], number]>([
    [['completed', 'failed', 'failed', 'pending'], 2],
    [['failed', 'completed', 'failed'], 1],
    [['rolled_back', 'failed'], 2],
    [['completed', 'completed'], 0],
    [['failed', 'in_progress'], 1],
  ])('%j → %i', (statuses, expected) => {
    expect(trailingFailures(state(statuses).batches)).toBe(expected);
  });
});

describe('nextStep', () => {
  it.each<[string, RolloutState, ReturnType<typeof nextStep>]>([
    ['a final deployment is done', state(['completed'], { status: 'completed' }), { kind: 'done' }],
    ['a cancelled one is done', state([], { status: 'cancelled' }), { kind: 'done' }],
    ['a queued one starts', state([], { status: 'queued' }), { kind: 'start' }],
    ['in progress without batches starts', state([]), { kind: 'start' }],
    [
      'the first unfinished batch runs',
      state(['completed', 'pending']),
      { kind: 'run_batch', batchNumber: 2 },
    ],
    [
      'an interrupted batch runs again',
      state(['completed', 'health_checking']),
      { kind: 'run_batch', batchNumber: 2 },
    ],
    [
      'one failure under threshold 2 goes on',
      state(['failed', 'pending']),
      { kind: 'run_batch', batchNumber: 2 },
    ],
    [
      'two failures in a row roll back',
      state(['completed', 'failed', 'rolled_back', 'pending']),
      { kind: 'fleet_rollback' },
    ],
    [
      'threshold 1 rolls back after one',
      state(['rolled_back', 'pending'], { failureThreshold: 1 }),
      { kind: 'fleet_rollback' },
    ],
    [
      'without auto rollback it fails',
      state(['failed', 'failed'], { autoRollbackOnFailure: false }),
      { kind: 'finish', status: 'failed' },
    ],
    ['all completed', state(['completed', 'completed']), { kind: 'finish', status: 'completed' }],
    [
      'completed with a failure in between',
      state(['completed', 'failed', 'completed']),
      { kind: 'finish', status: 'completed_with_errors' },
    ],
    [
      'cancel before the next batch',
      state(['completed', 'pending'], { cancelRequested: true }),
      { kind: 'finish', status: 'cancelled' },
    ],
    [
      'cancel lets the batch in flight finish',
      state(['completed', 'in_progress'], { cancelRequested: true }),
      { kind: 'run_batch', batchNumber: 2 },
    ],
    [
      'a pause request stops before the next batch',
      state(['completed', 'pending'], { pauseRequested: true }),
      { kind: 'pause', beforeBatch: 2 },
    ],
    [
      'a pause request lets the batch in flight finish',
      state(['completed', 'health_checking'], { pauseRequested: true }),
      { kind: 'run_batch', batchNumber: 2 },
    ],
    [
      'a pause request after the last batch lets the rollout finish',
      state(['completed', 'completed'], { pauseRequested: true }),
      { kind: 'finish', status: 'completed' },
    ],
    [
      'a cancel wins over a pause',
      state(['completed', 'pending'], { pauseRequested: true, cancelRequested: true }),
      { kind: 'finish', status: 'cancelled' },
    ],
    [
      'two failures in a row roll back even with a pause requested',
      state(['failed', 'failed', 'pending'], { pauseRequested: true }),
      { kind: 'fleet_rollback' },
    ],
    [
      'a paused deployment waits for resume',
      state(['completed', 'pending'], { status: 'paused' }),
      { kind: 'done' },
    ],
  ])('%s', (_name, input, expected) => {
    expect(nextStep(input)).toEqual(expected);
  });
});

describe('currentVersion', () => {
  const run = (tag: string | null, status: 'running' | 'absent' | 'stopped' = 'running') => ({
    status,
    image: tag ? 'shop' : null,
    tag,
  });

  it.each([
    ['the most common version', [run('v1'), run('v2'), run('v1')], 'v1'],
    ['the first listed on a tie', [run('v2'), run('v1')], 'v2'],
    ['a stopped instance still counts', [run('v3', 'stopped')], 'v3'],
    ['absent instances are ignored', [run('v1', 'absent'), run('v2')], 'v2'],
    ['nothing recorded', [run(null), run('v1', 'absent')], null],
    ['no instances', [], null],
  ])('%s', (_name, instances, tag) => {
    expect(currentVersion(instances)?.tag ?? null).toBe(tag);
  });
});

describe('progressDeadlineLeftMs', () => {
  const at = (iso: string) => new Date(`2026-01-01T${iso}Z`);
  const batch = (status: BatchStatus, completed: string | null) => ({
    status,
    completedAt: completed === null ? null : `2026-01-01T${completed}Z`,
  });
  it.each<[string, number | null, string | null, BatchStatus[], (string | null)[], string, number | null]>([
    ['no deadline', null, null, [], [], '10:00:00', null],
    ['from the start', 60, null, [], [], '10:00:30', 30_000],
    [
      'from the last completed batch',
      60,
      null,
      ['completed', 'pending'],
      ['10:00:40', null],
      '10:01:10',
      30_000,
    ],
    ['a failed batch is no progress', 60, null, ['failed'], ['10:00:50'], '10:01:10', -10_000],
    ['from the last resume', 60, '10:05:00', ['completed'], ['10:00:40'], '10:05:20', 40_000],
  ])('%s', (_name, deadline, resumed, statuses, completions, now, expected) => {
    expect(
      progressDeadlineLeftMs({
        progressDeadline: deadline,
        startedAt: '2026-01-01T10:00:00Z',
        resumedAt: resumed === null ? null : `2026-01-01T${resumed}Z`,
        batches: statuses.map((status, i) => batch(status, completions[i] ?? null)),
        now: at(now),
      }),
    ).toBe(expected);
  });
});

describe('budgets with start-first (nothing leaves rotation)', () => {
  it.each([
    [1, 1, 1, true],
    [4, 4, 1, true],
    [4, 4, 4, true],
    [1, 1, 2, false],
  ])(
    'sizing: %i servers, largest batch %i, minimum %i → allowed %s',
    (serverCount, largestBatch, minimumHealthy, allowed) => {
      expect(
        checkSizingBudget({ serverCount, largestBatch, minimumHealthy, order: 'start-first' }).allowed,
      ).toBe(allowed);
    },
  );

  it('a single server may update itself with minimum 1; a stop-first batch of it may not', () => {
    const input = { inRotation: [1], batch: [1], minimumHealthy: 1 };
    expect(checkBatchBudget({ ...input, order: 'start-first' })).toEqual({ allowed: true });
    expect(checkBatchBudget({ ...input, order: 'stop-first' }).allowed).toBe(false);
  });

  it('allows a batch even when fewer than the minimum serve: it takes none of them out', () => {
    expect(
      checkBatchBudget({ inRotation: [2], batch: [1, 2], minimumHealthy: 2, order: 'start-first' }),
    ).toEqual({ allowed: true });
  });

  it('explains a stop-first sizing refusal and names the way out', () => {
    expect(
      checkSizingBudget({ serverCount: 1, largestBatch: 1, minimumHealthy: 1, order: 'stop-first' }),
    ).toEqual({
      allowed: false,
      reason:
        'Batches of 1 of 1 servers would leave 0 serving, fewer than minimumHealthyInstances (1); order start-first keeps every server serving',
    });
  });
});
