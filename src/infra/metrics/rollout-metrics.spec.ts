import type { Histogram } from 'prom-client';
import { FixedClock } from '../../../test/fakes/fixed-clock';
import type { BatchStatus, BatchView, InstanceEvent, InstancePhase } from '../../rollout/domain';
import { RolloutMetrics } from './rollout-metrics';

function batch(
  id: number,
  status: BatchStatus,
  startedAt: string | null,
  completedAt: string | null,
): BatchView {
  return {
    id,
    batchNumber: 1,
    totalBatches: 1,
    serverIds: [1],
    targetInstanceCount: 1,
    status,
    startedAt,
    completedAt,
    successfulInstances: 0,
    failedInstances: 0,
    healthCheckResults: {},
    failureReason: null,
    serverOutcomes: {},
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
  };
}

function instance(deploymentId: number, serverId: number, phase: InstancePhase): InstanceEvent {
  return { id: 1, deploymentId, batchNumber: 1, serverId, phase, message: phase };
}

type Values = Awaited<ReturnType<Histogram<string>['get']>>['values'];

async function values(metrics: RolloutMetrics, name: string): Promise<Values> {
  const metric = metrics.registry.getSingleMetric(name) as Histogram<string>;
  return (await metric.get()).values;
}

async function countAndSum(metrics: RolloutMetrics, name: string, labels: Record<string, string>) {
  const matches = (value: Values[number]) =>
    Object.entries(labels).every(([key, expected]) => value.labels[key] === expected);
  const all = (await values(metrics, name)).filter(matches);
  return {
    count: all.find((v) => v.metricName === `${name}_count`)?.value ?? 0,
    sum: all.find((v) => v.metricName === `${name}_sum`)?.value ?? 0,
  };
}

describe('RolloutMetrics', () => {
  const BATCH = 'rollout_batch_duration_seconds';
  const STEP = 'rollout_instance_step_duration_seconds';
  let clock: FixedClock;
  let metrics: RolloutMetrics;

  beforeEach(() => {
    clock = new FixedClock();
    metrics = new RolloutMetrics(clock);
  });

  it('observes a batch once, from startedAt to completedAt, when it reaches a final status', async () => {
    metrics.observeBatch(7, batch(31, 'in_progress', '2026-01-01T00:00:00.000Z', null));
    metrics.observeBatch(7, batch(31, 'health_checking', '2026-01-01T00:00:00.000Z', null));
    metrics.observeBatch(7, batch(31, 'completed', '2026-01-01T00:00:00.000Z', '2026-01-01T00:01:30.000Z'));
    metrics.observeBatch(7, batch(31, 'completed', '2026-01-01T00:00:00.000Z', '2026-01-01T00:01:30.000Z'));
    metrics.observeBatch(7, batch(32, 'rolled_back', '2026-01-01T00:02:00.000Z', '2026-01-01T00:02:12.500Z'));

    expect(await countAndSum(metrics, BATCH, { status: 'completed' })).toEqual({ count: 1, sum: 90 });
    expect(await countAndSum(metrics, BATCH, { status: 'rolled_back' })).toEqual({ count: 1, sum: 12.5 });
  });

  it('ignores a final batch without timestamps', async () => {
    metrics.observeBatch(7, batch(33, 'failed', null, '2026-01-01T00:00:00.000Z'));
    expect(await countAndSum(metrics, BATCH, { status: 'failed' })).toEqual({ count: 0, sum: 0 });
  });

  it('times each phase of an instance until the next one, per deployment and server', async () => {
    metrics.observeInstance(instance(7, 1, 'pulling'));
    metrics.observeInstance(instance(7, 2, 'pulling'));
    clock.advance(4_000);
    metrics.observeInstance(instance(7, 1, 'starting'));
    clock.advance(1_000);
    metrics.observeInstance(instance(7, 2, 'starting'));
    clock.advance(2_000);
    metrics.observeInstance(instance(7, 1, 'health_checking'));
    clock.advance(3_000);
    metrics.observeInstance(instance(7, 1, 'healthy'));
    clock.advance(500);
    metrics.observeInstance(instance(7, 1, 'in_rotation'));

    expect(await countAndSum(metrics, STEP, { phase: 'pulling' })).toEqual({ count: 2, sum: 9 });
    expect(await countAndSum(metrics, STEP, { phase: 'starting' })).toEqual({ count: 1, sum: 3 });
    expect(await countAndSum(metrics, STEP, { phase: 'health_checking' })).toEqual({ count: 1, sum: 3 });
    expect(await countAndSum(metrics, STEP, { phase: 'healthy' })).toEqual({ count: 1, sum: 0.5 });
    expect(await countAndSum(metrics, STEP, { phase: 'in_rotation' })).toEqual({ count: 0, sum: 0 });
  });

  it('starts a new timeline after an instance is back in rotation', async () => {
    metrics.observeInstance(instance(7, 1, 'starting'));
    clock.advance(1_000);
    metrics.observeInstance(instance(7, 1, 'in_rotation'));
    clock.advance(60_000);
    metrics.observeInstance(instance(7, 1, 'rolling_back'));
    clock.advance(2_000);
    metrics.observeInstance(instance(7, 1, 'rolled_back'));

    expect(await countAndSum(metrics, STEP, { phase: 'in_rotation' })).toEqual({ count: 0, sum: 0 });
    expect(await countAndSum(metrics, STEP, { phase: 'rolling_back' })).toEqual({ count: 1, sum: 2 });
  });

  it('forgets a finished deployment, so a later phase is not timed from it', async () => {
    metrics.observeInstance(instance(7, 1, 'pulling'));
    metrics.forgetDeployment(7);
    clock.advance(5_000);
    metrics.observeInstance(instance(7, 1, 'starting'));

    expect(await countAndSum(metrics, STEP, { phase: 'pulling' })).toEqual({ count: 0, sum: 0 });
  });
});
