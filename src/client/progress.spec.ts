import type { BatchJson, DeploymentJson, TimelineEventJson } from './api-types';
import { painter } from './output';
import { batchLine, outcomeLines, progressBar, progressFrame, RolloutProgress } from './progress';

const plain = painter(false);
const names = new Map([
  [1, 'web-1'],
  [2, 'web-2'],
  [3, 'web-3'],
]);

function deployment(overrides: Partial<DeploymentJson> = {}): DeploymentJson {
  return {
    id: 7,
    applicationId: 1,
    status: 'in_progress',
    image: 'registry.test/shop',
    tag: 'v2',
    previousImage: 'registry.test/shop',
    previousTag: 'v1',
    totalBatches: 2,
    completedBatches: 0,
    failedBatches: 0,
    failureReason: null,
    createdAt: '2025-01-01T10:00:00.000Z',
    startedAt: '2025-01-01T10:00:01.000Z',
    completedAt: null,
    ...overrides,
  };
}

function batch(batchNumber: number, serverIds: number[], status: string): BatchJson {
  return { batchNumber, totalBatches: 2, serverIds, status, failureReason: null };
}

let nextId = 1;
function event(
  serverId: number | null,
  batchNumber: number | null,
  phase: string,
  message = phase,
): TimelineEventJson {
  return { id: nextId++, at: '2025-01-01T10:00:02.000Z', batchNumber, serverId, phase, message };
}

function frame(progress: RolloutProgress): string[] {
  return progressFrame(progress, 'deployment 7  shop  v1 → v2', names, plain).map((line) => line.text);
}

describe('rollout progress from recorded events', () => {
  beforeEach(() => (nextId = 1));

  it('draws one bar per batch with each server phase, then the final status', () => {
    const progress = new RolloutProgress(7);
    progress.applyDeployment(deployment());
    progress.applyBatch(batch(1, [1, 2], 'in_progress'));
    progress.applyBatch(batch(2, [3], 'pending'));
    for (const recorded of [
      event(1, 1, 'draining'),
      event(2, 1, 'draining'),
      event(1, 1, 'pulling'),
      event(1, 1, 'starting'),
      event(1, 1, 'health_checking'),
      event(2, 1, 'pulling'),
    ]) {
      progress.applyEvent(recorded);
    }
    expect(frame(progress)).toEqual([
      'deployment 7  shop  v1 → v2',
      '  batch 1/2 [########------------] 0/2  web-1 health_checking, web-2 pulling',
      '  batch 2/2 [--------------------] 0/1  web-3 waiting',
      '  status in_progress  0/2 batches completed, 0 failed',
    ]);

    progress.applyEvent(event(1, 1, 'healthy'));
    progress.applyEvent(event(1, 1, 'in_rotation'));
    progress.applyEvent(event(2, 1, 'starting'));
    expect(frame(progress)[1]).toBe(
      '  batch 1/2 [##############------] 1/2  web-1 in_rotation, web-2 starting',
    );
    progress.applyBatch(batch(1, [1, 2], 'completed'));
    progress.applyDeployment(deployment({ completedBatches: 1 }));
    expect(frame(progress)[1]).toBe(
      '  batch 1/2 [####################] 2/2  web-1 in_rotation, web-2 starting  completed',
    );
    expect(frame(progress)[3]).toBe('  status in_progress  1/2 batches completed, 0 failed');
  });

  it('counts an event replayed and then received live once', () => {
    const progress = new RolloutProgress(7);
    const pulled = event(3, 2, 'pulling');
    const started = event(3, 2, 'starting');
    expect(progress.applyEvent(pulled)).toBe(true);
    expect(progress.applyEvent(started)).toBe(true);
    // The same ids arrive again over socket.io (with their deploymentId): nothing changes.
    expect(progress.applyEvent({ ...pulled, deploymentId: 7 })).toBe(false);
    expect(progress.servers.get(3)?.phase).toBe('starting');
    expect(progress.lastEventId).toBe(started.id);
    // Another deployment's event is not ours.
    expect(progress.applyEvent({ ...event(3, 1, 'in_rotation'), deploymentId: 8 })).toBe(false);
  });

  it('never moves backwards on a late deployment or batch update', () => {
    const progress = new RolloutProgress(7);
    progress.applyDeployment(deployment({ status: 'rolled_back', completedBatches: 1, failedBatches: 1 }));
    expect(progress.applyDeployment(deployment({ status: 'in_progress' }))).toBe(false);
    expect(progress.status).toBe('rolled_back');
    progress.applyBatch(batch(2, [3], 'rolled_back'));
    expect(progress.applyBatch(batch(2, [3], 'health_checking'))).toBe(false);
    expect(progress.batches.get(2)?.status).toBe('rolled_back');
    // Paused and in progress are equally far: the later one shows.
    const running = new RolloutProgress(7);
    running.applyDeployment(deployment({ status: 'paused' }));
    running.applyDeployment(deployment({ status: 'in_progress' }));
    expect(running.status).toBe('in_progress');
  });

  it('shows a deployment-level note and servers a finished rollout never reached as untouched', () => {
    const progress = new RolloutProgress(7);
    progress.applyDeployment(
      deployment({ status: 'rolled_back', failedBatches: 1, failureReason: 'web-1: health check timeout' }),
    );
    progress.applyBatch(batch(1, [1, 2], 'rolled_back'));
    progress.applyBatch(batch(2, [3], 'pending'));
    progress.applyEvent(event(1, 1, 'unhealthy'));
    progress.applyEvent(event(1, 1, 'rolled_back'));
    progress.applyEvent(event(2, 1, 'rolled_back'));
    progress.applyEvent(event(null, null, 'note', 'rolling the fleet back'));
    expect(frame(progress)).toEqual([
      'deployment 7  shop  v1 → v2',
      '  batch 1/2 [####################] 2/2  web-1 rolled_back, web-2 rolled_back  rolled_back',
      '  batch 2/2 [--------------------] 0/1  web-3 untouched',
      '  status rolled_back  0/2 batches completed, 1 failed  (rolling the fleet back)',
    ]);
  });

  it('prints the final status verbatim, how long it took and the failure reason', () => {
    expect(
      outcomeLines(
        deployment({
          status: 'rolled_back',
          completedAt: '2025-01-01T10:00:13.300Z',
          failureReason: 'web-2: health check timeout after 3 s (HTTP 500)',
        }),
        plain,
      ),
    ).toEqual([
      'deployment 7 (v1 → v2): rolled_back after 12.3 s',
      'reason: web-2: health check timeout after 3 s (HTTP 500)',
    ]);
    expect(
      outcomeLines(deployment({ status: 'completed', previousTag: null, completedAt: null }), plain),
    ).toEqual(['deployment 7 (v2): completed']);
  });

  it('colours phases and statuses only when asked', () => {
    const progress = new RolloutProgress(7);
    progress.applyEvent(event(1, 1, 'in_rotation'));
    const line = batchLine(progress, batch(1, [1], 'completed'), names, painter(true));
    expect(line).toContain('\x1b[32min_rotation\x1b[0m');
    expect(batchLine(progress, batch(1, [1], 'completed'), names, plain)).not.toContain('\x1b[');
  });

  it('draws bars in proportion', () => {
    expect(progressBar(0, 10, 10)).toBe('[----------]');
    expect(progressBar(5, 10, 10)).toBe('[#####-----]');
    expect(progressBar(12, 10, 10)).toBe('[##########]');
    expect(progressBar(1, 0, 4)).toBe('[----]');
  });
});
