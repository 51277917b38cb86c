import { painter } from './output';
import { duration, planLines } from './plan';

describe('plan', () => {
  it('lists the batches by server name, what stays in rotation, the estimate and the warnings', () => {
    const names = new Map([
      [1, 'web-1'],
      [2, 'web-2'],
      [3, 'web-3'],
    ]);
    expect(
      planLines(
        {
          batches: [
            { batchNumber: 1, serverIds: [1, 2] },
            { batchNumber: 2, serverIds: [3, 9] },
          ],
          minimumInRotation: 1,
          estimatedSeconds: 95,
          warnings: ['no previous version to go back to'],
        },
        { application: 'shop', from: 'v1', to: 'v2', deploymentId: 12 },
        names,
        painter(false),
      ),
    ).toEqual([
      'plan for shop: v1 → v2 (deployment 12), 2 batches, about 1 min 35 s',
      '  batch 1  web-1, web-2',
      '  batch 2  web-3, server 9',
      '  at least 1 instance stays in rotation',
      '  warning: no previous version to go back to',
    ]);
  });

  it('says durations in words', () => {
    expect(duration(0.4)).toBe('0 s');
    expect(duration(59)).toBe('59 s');
    expect(duration(120)).toBe('2 min');
    expect(duration(3725)).toBe('1 h 2 min');
  });
});
