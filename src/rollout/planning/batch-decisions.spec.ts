import type { InstanceStatus } from '../domain';
import { canHandBack, everyServerBack, settledBatchStatus } from './batch-decisions';

const instance = (inRotation: boolean, status: InstanceStatus = 'running') => ({ inRotation, status });

describe('canHandBack', () => {
  it.each([
    ['every server serving', [instance(true), instance(true)], true],
    ['serving and nothing deployed (a first deployment)', [instance(true), instance(false, 'absent')], true],
    ['nothing deployed anywhere', [instance(false, 'absent')], true],
    ['one running but out of rotation (resumed mid-swap)', [instance(true), instance(false)], false],
    ['one stopped and out of rotation', [instance(false, 'stopped')], false],
    ['no servers', [], true],
  ])('%s → %s', (_what, instances, expected) => {
    expect(canHandBack(instances)).toBe(expected);
  });
});

describe('settledBatchStatus', () => {
  it.each([
    [2, 0, 0, 'completed'],
    [1, 1, 0, 'rolled_back'],
    [2, 2, 0, 'rolled_back'],
    [2, 1, 0, 'failed'],
    [3, 2, 0, 'failed'],
    [2, 2, 1, 'failed'],
    [1, 1, 1, 'failed'],
  ])('%i servers, %i failed, %i failed restores → %s', (servers, failed, failedRestores, status) => {
    expect(settledBatchStatus(servers, failed, failedRestores)).toBe(status);
  });
});

describe('everyServerBack', () => {
  it.each<[Record<string, 'updated' | 'restored' | 'restore_failed' | 'untouched'>, boolean]>([
    [{ '1': 'restored', '2': 'restored' }, true],
    [{ '1': 'restored', '2': 'untouched' }, true],
    [{ '1': 'restored' }, true],
    [{ '1': 'restored', '2': 'updated' }, false],
    [{ '1': 'restore_failed', '2': 'restored' }, false],
  ])('%j → %s', (outcomes, expected) => {
    expect(everyServerBack([1, 2], outcomes)).toBe(expected);
  });
});
