import {
  applyEvent,
  compactNames,
  type BatchData,
  type DeploymentData,
  type DeploymentProgress,
  fitVisible,
  initialProgress,
  type InstanceData,
  type LiveEvent,
  progressBar,
  renderBatchLine,
  renderFrame,
  renderResult,
  stripColour,
  visibleLength,
} from '../../demo/live-view';
import { changedLines, LiveOutput, redrawSequence, styleFor } from '../../demo/terminal';

const plain = { colour: false };
const names = new Map([
  [3, 'web-3'],
  [4, 'web-4'],
  [5, 'web-5'],
  [6, 'web-6'],
]);

function deployment(status: string, extra: Partial<DeploymentData> = {}): LiveEvent {
  return {
    name: 'deployment.updated',
    data: {
      id: 7,
      status,
      tag: 'v2',
      previousTag: 'v1',
      totalBatches: 2,
      completedBatches: 0,
      failedBatches: 0,
      failureReason: null,
      ...extra,
    },
  };
}

function finished(status: string, extra: Partial<DeploymentData> = {}): LiveEvent {
  const event = deployment(status, extra);
  return { name: 'deployment.finished', data: event.data as DeploymentData };
}

function batch(batchNumber: number, status: string, extra: Partial<BatchData> = {}): LiveEvent {
  return {
    name: 'batch.updated',
    data: {
      deploymentId: 7,
      batchNumber,
      totalBatches: 2,
      serverIds: batchNumber === 1 ? [3, 4] : [5, 6],
      status,
      failureReason: null,
      ...extra,
    },
  };
}

let nextId = 1;
function instance(batchNumber: number, serverId: number, phase: string, extra: Partial<InstanceData> = {}) {
  const event: LiveEvent = {
    name: 'instance.updated',
    data: { id: nextId++, deploymentId: 7, batchNumber, serverId, phase, message: `${phase} on ${serverId}` },
  };
  Object.assign(event.data, extra);
  return event;
}

function replay(events: readonly LiveEvent[]): DeploymentProgress {
  return events.reduce(applyEvent, initialProgress(7));
}

/** A v1 → v2 rolling update of 4 servers in 2 batches, as the service sends it. */
function completedRollout(): LiveEvent[] {
  nextId = 1;
  return [
    deployment('queued'),
    deployment('in_progress'),
    batch(1, 'pending'),
    batch(2, 'pending'),
    batch(1, 'in_progress'),
    instance(1, 3, 'pulling'),
    instance(1, 4, 'pulling'),
    instance(1, 3, 'starting'),
    instance(1, 4, 'starting'),
    batch(1, 'health_checking'),
    instance(1, 3, 'health_checking'),
    instance(1, 4, 'health_checking'),
    instance(1, 3, 'healthy'),
    instance(1, 3, 'in_rotation'),
    instance(1, 4, 'healthy'),
    instance(1, 4, 'in_rotation'),
    batch(1, 'completed'),
    deployment('in_progress', { completedBatches: 1 }),
    batch(2, 'in_progress'),
    instance(2, 5, 'pulling'),
    instance(2, 6, 'pulling'),
    instance(2, 5, 'starting'),
    instance(2, 6, 'starting'),
    instance(2, 5, 'health_checking'),
    instance(2, 6, 'health_checking'),
    instance(2, 5, 'healthy'),
    instance(2, 5, 'in_rotation'),
    instance(2, 6, 'healthy'),
    instance(2, 6, 'in_rotation'),
    batch(2, 'completed'),
    deployment('completed', { completedBatches: 2 }),
    finished('completed', { completedBatches: 2 }),
  ];
}

/** v2 → v3-broken: the first batch's health checks fail, both servers get v2 back, the rollout rolls back. */
function brokenRollout(): LiveEvent[] {
  nextId = 100;
  const reason = 'web-3 (127.0.0.13): health check failed: HTTP 500 after 8 attempts';
  const broken = { tag: 'v3-broken', previousTag: 'v2' };
  return [
    deployment('in_progress', broken),
    batch(1, 'in_progress'),
    instance(1, 3, 'pulling'),
    instance(1, 4, 'pulling'),
    instance(1, 3, 'starting'),
    instance(1, 4, 'starting'),
    instance(1, 3, 'health_checking'),
    instance(1, 4, 'health_checking'),
    instance(1, 3, 'unhealthy'),
    instance(1, 4, 'unhealthy'),
    instance(1, 3, 'rolling_back'),
    instance(1, 3, 'rolled_back'),
    instance(1, 4, 'rolling_back'),
    instance(1, 4, 'rolled_back'),
    batch(1, 'failed', { failureReason: reason }),
    batch(1, 'rolled_back', { failureReason: reason }),
    deployment('rolled_back', { ...broken, failedBatches: 1, failureReason: `Rolled back: ${reason}` }),
    finished('rolled_back', { ...broken, failedBatches: 1, failureReason: `Rolled back: ${reason}` }),
  ];
}

describe('progressBar', () => {
  it.each([
    [0, 4, '[----------]'],
    [1, 4, '[###-------]'],
    [2, 4, '[#####-----]'],
    [4, 4, '[##########]'],
    [9, 4, '[##########]'],
    [-1, 4, '[----------]'],
    [0, 0, '[----------]'],
  ])('%i of %i is %s', (done, total, bar) => {
    expect(progressBar(done, total)).toBe(bar);
  });
});

describe('compactNames', () => {
  it.each([
    [['web-1', 'web-2', 'web-3', 'web-5'], 'web-1..3 web-5'],
    [['web-1', 'web-2'], 'web-1 web-2'],
    [['web-2', 'web-1', 'web-3'], 'web-2 web-1 web-3'],
    [['lb', 'web-8', 'web-9', 'web-10', 'web-11'], 'lb web-8..11'],
    [['db-1', 'web-2', 'web-3'], 'db-1 web-2 web-3'],
    [[], ''],
  ])('%j is %s', (names, text) => {
    expect(compactNames(names)).toBe(text);
  });
});

describe('the live view of a rolling update', () => {
  it('shows each batch with a bar, the servers done and the phase of each server', () => {
    const events = completedRollout();
    // Up to the first batch's health checks: web-3 and web-4 both health_checking.
    const checking = replay(events.slice(0, 12));
    expect(renderBatchLine(checking, 1, names, plain)).toBe(
      '  batch 1/2 [#######---] 0/2 servers  web-3 web-4 health_checking',
    );
    // web-3 in rotation, web-4 still checking.
    const half = replay(events.slice(0, 14));
    expect(renderBatchLine(half, 1, names, plain)).toBe(
      '  batch 1/2 [########--] 1/2 servers  web-3 in_rotation, web-4 health_checking',
    );
    expect(renderBatchLine(half, 2, names, plain)).toBe(
      '  batch 2/2 [----------] 0/2 servers  web-5 web-6 waiting',
    );
  });

  it('ends with every batch completed and the final status verbatim', () => {
    const progress = replay(completedRollout());
    expect(progress.status).toBe('completed');
    expect(renderFrame(progress, 'v1 → v2', names, plain).map((line) => line.text)).toEqual([
      'v1 → v2',
      '  batch 1/2 [##########] 2/2 servers  web-3 web-4 in_rotation  completed',
      '  batch 2/2 [##########] 2/2 servers  web-5 web-6 in_rotation  completed',
      '  status completed  (2/2 batches completed, 0 failed)',
    ]);
    expect(renderResult(progress, 4321, plain)).toEqual(['deployment 7 (v1 → v2): completed in 4.3 s']);
  });

  it('shows a broken version restored on its servers, rolled back, with the failure reason', () => {
    const progress = replay(brokenRollout());
    expect(progress.status).toBe('rolled_back');
    expect(renderBatchLine(progress, 1, names, plain)).toBe(
      '  batch 1/2 [##########] 2/2 servers  web-3 web-4 rolled_back  rolled_back',
    );
    expect(renderResult(progress, 2500, plain)).toEqual([
      'deployment 7 (v2 → v3-broken): rolled_back in 2.5 s',
      '  reason: Rolled back: web-3 (127.0.0.13): health check failed: HTTP 500 after 8 attempts',
    ]);
    // The rollout never reached the second batch.
    expect(renderBatchLine(applyEvent(progress, batch(2, 'pending')), 2, names, plain)).toBe(
      '  batch 2/2 [----------] 0/2 servers  web-5 web-6 untouched',
    );
    // Mid-way: one server already unhealthy while the other is still checked.
    const midway = replay(brokenRollout().slice(0, 9));
    expect(renderBatchLine(midway, 1, names, plain)).toBe(
      '  batch 1/2 [########--] 0/2 servers  web-3 unhealthy, web-4 health_checking',
    );
  });

  it('marks a server put back into rotation after a restore', () => {
    const events = [...brokenRollout().slice(0, 12), instance(1, 3, 'in_rotation')];
    expect(renderBatchLine(replay(events), 1, names, plain)).toBe(
      '  batch 1/2 [#########-] 1/2 servers  web-3 in_rotation (restored), web-4 unhealthy',
    );
  });

  it('renders the same after every event is delivered twice', () => {
    const events = completedRollout();
    const twice = events.flatMap((event) => [event, event]);
    for (let n = 1; n <= events.length; n++) {
      const once = replay(events.slice(0, n));
      const doubled = replay(twice.slice(0, 2 * n));
      expect(renderFrame(doubled, 't', names, plain)).toEqual(renderFrame(once, 't', names, plain));
    }
  });

  it('keeps a final status when a late running update arrives after it', () => {
    const events = completedRollout();
    const late = replay([...events, deployment('in_progress', { completedBatches: 1 })]);
    expect(late.status).toBe('completed');
    expect(late.completedBatches).toBe(2);
  });

  it('keeps a batch at its later status when an earlier batch update arrives late', () => {
    const progress = replay([...completedRollout(), batch(1, 'in_progress'), batch(2, 'health_checking')]);
    expect(progress.batches.get(1)?.status).toBe('completed');
    expect(progress.batches.get(2)?.status).toBe('completed');
  });

  it('keeps a server at its latest phase when an older event (a lower id) arrives late', () => {
    const events = completedRollout();
    const pulling = events[5] as LiveEvent;
    expect(pulling.name === 'instance.updated' && pulling.data.phase).toBe('pulling');
    const progress = replay([...events, pulling]);
    expect(progress.servers.get(3)?.phase).toBe('in_rotation');
  });

  it('ignores the events of other deployments', () => {
    const other: LiveEvent[] = [
      { name: 'deployment.finished', data: { ...(deployment('failed').data as DeploymentData), id: 8 } },
      { name: 'batch.updated', data: { ...(batch(1, 'failed').data as BatchData), deploymentId: 8 } },
      instance(1, 3, 'unhealthy', { deploymentId: 8 }),
    ];
    const events = completedRollout();
    expect(replay([...events.slice(0, 12), ...other])).toEqual(replay(events.slice(0, 12)));
  });

  it('shows a server whose events come before its batch update', () => {
    nextId = 1;
    const progress = replay([
      deployment('in_progress'),
      instance(1, 4, 'pulling'),
      instance(1, 3, 'pulling'),
    ]);
    expect(renderBatchLine(progress, 1, names, plain)).toBe(
      '  batch 1/2 [##--------] 0/2 servers  web-4 web-3 pulling',
    );
    const withBatch = applyEvent(progress, batch(1, 'in_progress'));
    expect(renderBatchLine(withBatch, 1, names, plain)).toBe(
      '  batch 1/2 [##--------] 0/2 servers  web-3 web-4 pulling',
    );
  });

  it('shows a batch of eight servers in one short line', () => {
    nextId = 1;
    const eight = new Map([1, 2, 3, 4, 5, 6, 7, 8].map((id) => [id, `web-${id}`]));
    const serverIds = [...eight.keys()];
    const progress = replay([
      batch(1, 'in_progress', { serverIds, totalBatches: 1 }),
      ...serverIds.map((id) => instance(1, id, 'health_checking')),
      instance(1, 5, 'healthy'),
      instance(1, 5, 'in_rotation'),
    ]);
    expect(renderBatchLine(progress, 1, eight, plain)).toBe(
      '  batch 1/1 [#######---] 1/8 servers  web-1..4 web-6..8 health_checking, web-5 in_rotation',
    );
  });

  it('names a server it has no name for by its id', () => {
    nextId = 1;
    const progress = replay([batch(1, 'in_progress', { serverIds: [3, 42] }), instance(1, 42, 'starting')]);
    expect(renderBatchLine(progress, 1, names, plain)).toBe(
      '  batch 1/2 [###-------] 0/2 servers  web-3 waiting, server 42 starting',
    );
  });
});

describe('colours and width', () => {
  it('colours only a terminal without NO_COLOR, and fits lines to its width', () => {
    expect(styleFor(true, {}, 100)).toEqual({ colour: true, width: 99 });
    expect(styleFor(true, { NO_COLOR: '1' }, 100)).toEqual({ colour: false, width: 99 });
    expect(styleFor(false, {}, 100)).toEqual({ colour: false });
    expect(styleFor(true, { TERM: 'dumb' })).toEqual({ colour: false });
  });

  it('paints phases and statuses on a terminal, and nothing else', () => {
    const progress = replay(completedRollout());
    const coloured = renderBatchLine(progress, 1, names, { colour: true });
    expect(coloured).toContain('\x1b[32min_rotation\x1b[0m');
    expect(coloured).toContain('\x1b[32mcompleted\x1b[0m');
    expect(stripColour(coloured)).toBe(renderBatchLine(progress, 1, names, plain));
  });

  it('cuts a line to the width without counting colour codes', () => {
    expect(fitVisible('abcdef', 6)).toBe('abcdef');
    expect(fitVisible('abcdefgh', 6)).toBe('abcde…');
    const cut = fitVisible('ab\x1b[32mcdefgh\x1b[0m', 5);
    expect(cut).toBe('ab\x1b[32mcd…\x1b[0m');
    expect(visibleLength(cut)).toBe(5);
    const progress = replay(completedRollout());
    expect(visibleLength(renderBatchLine(progress, 1, names, { colour: true, width: 30 }))).toBe(30);
  });
});

describe('the terminal output', () => {
  it('appends only the lines that changed when it is not a terminal', () => {
    const printed = new Map<string, string>();
    expect(
      changedLines(printed, [
        { key: 'a', text: 'A1' },
        { key: 'b', text: 'B1' },
      ]),
    ).toEqual(['A1', 'B1']);
    expect(
      changedLines(printed, [
        { key: 'a', text: 'A1' },
        { key: 'b', text: 'B2' },
      ]),
    ).toEqual(['B2']);
  });

  it('redraws the frame in place on a terminal', () => {
    expect(redrawSequence(0, ['a', 'b'])).toBe('\x1b[2Ka\n\x1b[2Kb\n\x1b[J');
    expect(redrawSequence(2, ['a'])).toBe('\x1b[2F\x1b[2Ka\n\x1b[J');
  });

  it('writes a replayed rollout as an append-only log without colours when piped', () => {
    let written = '';
    const out = new LiveOutput({ write: (text: string) => (written += text), isTTY: false }, {});
    let progress = initialProgress(7);
    for (const event of completedRollout()) {
      progress = applyEvent(progress, event);
      out.frame(renderFrame(progress, 'v1 → v2', names, out.style));
    }
    out.line('done');
    const lines = written.trimEnd().split('\n');
    expect(written).not.toContain('\x1b[');
    expect(lines.filter((line) => line === 'v1 → v2')).toHaveLength(1);
    expect(lines).toContain('  batch 1/2 [##########] 2/2 servers  web-3 web-4 in_rotation  completed');
    expect(lines.at(-2)).toBe('  status completed  (2/2 batches completed, 0 failed)');
    expect(lines.at(-1)).toBe('done');
    // No line is printed twice in a row: only changes are appended.
    expect(lines.every((line, i) => i === 0 || line !== lines[i - 1])).toBe(true);
  });

  it('redraws the whole frame on a terminal and starts a new one after a committed frame', () => {
    let written = '';
    const out = new LiveOutput({ write: (text: string) => (written += text), isTTY: true, columns: 80 }, {});
    out.frame([
      { key: 'a', text: 'one' },
      { key: 'b', text: 'two' },
    ]);
    out.frame([
      { key: 'a', text: 'one' },
      { key: 'b', text: 'three' },
    ]);
    out.line('result');
    out.frame([{ key: 'a', text: 'next' }]);
    expect(written).toBe(
      '\x1b[2Kone\n\x1b[2Ktwo\n\x1b[J' +
        '\x1b[2F\x1b[2Kone\n\x1b[2Kthree\n\x1b[J' +
        'result\n' +
        '\x1b[2Knext\n\x1b[J',
    );
  });
});
