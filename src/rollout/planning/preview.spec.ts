import { DEFAULT_ROLLING_UPDATE, type RollingUpdateOptions } from '../domain';
import { type PlanPreviewInput, UNMEASURED_SWAP_SECONDS, previewPlan } from './preview';

const options = (patch: Partial<RollingUpdateOptions> = {}): RollingUpdateOptions => ({
  ...DEFAULT_ROLLING_UPDATE,
  healthCheckPath: '/health',
  order: 'stop-first',
  ...patch,
});

function input(patch: Partial<PlanPreviewInput> = {}): PlanPreviewInput {
  const serverIds = patch.serverIds ?? [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  return {
    applicationName: 'shop',
    serverIds,
    inRotation: new Set(serverIds),
    onTarget: new Set(),
    options: options(),
    target: 'ghcr.io/acme/shop:v2',
    drainSeconds: 5,
    recentBatchSeconds: [],
    hasPrevious: true,
    ...patch,
  };
}

describe('previewPlan', () => {
  it('cuts the batches the rollout runs (10 servers at 25 %: 3, 3, 3, 1) and the fewest left in rotation', () => {
    const plan = previewPlan(input());
    expect(plan.batches).toEqual([
      { batchNumber: 1, serverIds: [1, 2, 3] },
      { batchNumber: 2, serverIds: [4, 5, 6] },
      { batchNumber: 3, serverIds: [7, 8, 9] },
      { batchNumber: 4, serverIds: [10] },
    ]);
    expect(plan.minimumInRotation).toBe(7);
    expect(plan.warnings).toEqual([]);
  });

  it('counts only instances in rotation now', () => {
    const plan = previewPlan(input({ inRotation: new Set([1, 4, 5, 6, 10]) }));
    expect(plan.minimumInRotation).toBe(2);
  });

  it('estimates from the options without history: drain, a swap and one probe per batch, plus the waits', () => {
    const plan = previewPlan(input({ options: options({ waitInterval: 30, healthCheckInterval: 5 }) }));
    expect(plan.estimatedSeconds).toBe(4 * (5 + UNMEASURED_SWAP_SECONDS + 5) + 3 * 30);
  });

  it("estimates from the median of the application's recent batches once there is history", () => {
    const plan = previewPlan(
      input({ recentBatchSeconds: [12, 100, 14], options: options({ waitInterval: 0.5 }) }),
    );
    expect(plan.estimatedSeconds).toBe(Math.ceil(4 * 14 + 3 * 0.5));
  });

  it('warns of a batch that takes every instance out, of a first deployment, and of a rollout with no rollback', () => {
    const plan = previewPlan(
      input({
        serverIds: [1, 2],
        options: options({ batchSize: 100, minimumHealthyInstances: 0, autoRollbackOnFailure: false }),
        hasPrevious: false,
      }),
    );
    expect(plan.minimumInRotation).toBe(0);
    expect(plan.warnings).toEqual([
      'Batch 1 takes every instance of shop out of rotation: it does not answer while that batch runs',
      'No previous version of shop to go back to: a failed batch cannot be restored and the rollout cannot be rolled back',
      'autoRollbackOnFailure is off: after 2 failed batch(es) in a row the rollout stops as failed and the fleet stays on mixed versions',
    ]);
  });

  it('keeps every instance in rotation with start-first, even all at once', () => {
    const plan = previewPlan(
      input({ serverIds: [1, 2], options: options({ batchSize: 100, order: 'start-first' }) }),
    );
    expect(plan.minimumInRotation).toBe(2);
    expect(plan.warnings).toEqual([]);
  });

  it('warns when every server already runs the target', () => {
    const plan = previewPlan(input({ serverIds: [1, 2], onTarget: new Set([1, 2]) }));
    expect(plan.warnings).toEqual(['Every server of shop already runs ghcr.io/acme/shop:v2']);
  });

  it('has nothing to take out before a first deployment', () => {
    const plan = previewPlan(input({ serverIds: [1, 2], inRotation: new Set() }));
    expect(plan.minimumInRotation).toBe(0);
    expect(plan.warnings).toEqual([]);
  });
});
