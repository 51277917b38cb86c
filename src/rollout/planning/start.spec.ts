import type { DeploymentStatus, InstanceStatus } from '../domain';
import { planStart, type StartInput } from './start';

const v = (tag: string | null, status: InstanceStatus = 'running') => ({
  status,
  image: tag === null ? null : 'ghcr.io/acme/shop',
  tag,
});
const input = (overrides: Partial<StartInput>): StartInput => ({
  status: 'queued',
  serverIds: [1, 2, 3],
  instances: [v('v1'), v('v1'), v('v1')],
  inRotation: 3,
  batchSize: 2,
  batchSizeIsPercentage: false,
  minimumHealthy: 1,
  ...overrides,
});

describe('planStart', () => {
  it('records the version most instances run, plans the batches and lets a healthy fleet start', () => {
    expect(planStart(input({ instances: [v('v1'), v('v0'), v('v1')], inRotation: 2 }))).toEqual({
      previous: { image: 'ghcr.io/acme/shop', tag: 'v1' },
      batches: [[1, 2], [3]],
      refusal: null,
    });
  });

  it.each<[DeploymentStatus, string | null]>([
    ['queued', 'v1'],
    ['pending', 'v1'],
    ['in_progress', null],
  ])('a %s deployment records previous version %s (a resumed start keeps the first)', (status, tag) => {
    expect(planStart(input({ status })).previous?.tag ?? null).toBe(tag);
  });

  it.each([
    ['no servers', { serverIds: [], instances: [], inRotation: 0 }, 'The application has no servers'],
    [
      'instances but too few in rotation',
      { inRotation: 0 },
      'Insufficient healthy instances. Current: 0, Minimum required: 1',
    ],
    [
      '2 in rotation, minimum 3',
      { inRotation: 2, minimumHealthy: 3 },
      'Insufficient healthy instances. Current: 2, Minimum required: 3',
    ],
    ['a first deployment (nothing anywhere)', { instances: [v(null, 'absent')], inRotation: 0 }, null],
    ['exactly the minimum', { inRotation: 1, minimumHealthy: 1 }, null],
  ])('%s → refusal %j', (_what, overrides, refusal) => {
    expect(planStart(input(overrides)).refusal).toBe(refusal);
  });

  it('plans percentage batches over the servers in their order', () => {
    expect(
      planStart(input({ serverIds: [4, 9, 2, 7], batchSize: 50, batchSizeIsPercentage: true })).batches,
    ).toEqual([
      [4, 9],
      [2, 7],
    ]);
  });
});
