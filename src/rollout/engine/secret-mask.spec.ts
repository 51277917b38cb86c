import { MemoryRolloutStore } from '../../../test/fakes/memory-rollout-store';
import { RecordingEvents } from '../../../test/fakes/recording-events';
import { serverTarget } from '../../../test/fakes/server-targets';
import type { ApplicationSpec } from '../domain';
import { RolloutRecorder } from './rollout-recorder';
import { MASK, SecretMask, secretMaskOf } from './secret-mask';

const SECRET = 's3cr3t-"quoted"\\path';

describe('SecretMask', () => {
  it('masks every occurrence, also in JSON-escaped form (as docker inspect prints env)', () => {
    const mask = new SecretMask([SECRET]);
    const inspect = JSON.stringify({ Config: { Env: [`DB_PASSWORD=${SECRET}`, 'PATH=/bin'] } });
    expect(inspect).not.toContain(SECRET);
    expect(mask.text(inspect)).toBe('{"Config":{"Env":["DB_PASSWORD=***","PATH=/bin"]}}');
    expect(mask.text(`a ${SECRET} b ${SECRET}`)).toBe(`a ${MASK} b ${MASK}`);
  });

  it('masks a secret that contains another as a whole, and ignores empty values', () => {
    const mask = new SecretMask(['abc', 'xxabcxx', '']);
    expect(mask.text('1 xxabcxx 2 abc 3')).toBe('1 *** 2 *** 3');
    expect(new SecretMask(['']).empty).toBe(true);
    expect(new SecretMask(['']).text('unchanged')).toBe('unchanged');
  });

  it('masks strings inside arrays and plain objects, keeping dates and numbers', () => {
    const at = new Date('2026-01-01T00:00:00Z');
    const masked = new SecretMask(['hunter2']).deep({
      list: ['x hunter2 y', 3],
      nested: { text: 'hunter2', at },
    });
    expect(masked).toEqual({ list: ['x *** y', 3], nested: { text: '***', at } });
    expect(masked.nested.at).toBe(at);
  });

  it('is built from the secret env values of an application (none when absent)', () => {
    expect(secretMaskOf({ secretEnv: { A: 'one', B: 'two' } }).text('one two three')).toBe('*** *** three');
    expect(secretMaskOf({}).empty).toBe(true);
  });
});

describe('RolloutRecorder with a secret mask', () => {
  const application: ApplicationSpec = {
    id: 1,
    name: 'shop',
    image: 'ghcr.io/acme/shop',
    tag: 'v1',
    containerPort: 3000,
    hostPort: 8080,
    alternateHostPort: 8081,
    env: {},
    secretEnv: { DB_PASSWORD: 'hunter2-value', STATUS_LIKE: 'failed' },
    healthCheckPath: '/health',
    serverIds: [1],
    loadBalancer: { type: 'none' },
    stopTimeout: 10,
    minFreeMemoryMb: 256,
    minFreeDiskMb: 1024,
    dockerDataPath: '/var/lib/docker',
  };

  it('masks failure reasons, health messages, event messages and data, never a status', async () => {
    const store = new MemoryRolloutStore(application, [serverTarget(1)], null);
    const [batch] = await store.ensureBatches(7, [
      { batchNumber: 1, serverIds: [1], targetInstanceCount: 1 },
    ]);
    if (batch === undefined) throw new Error('ensureBatches returned no batch');
    const events = new RecordingEvents();
    const recorder = new RolloutRecorder(store, events, 7);
    recorder.maskSecrets(secretMaskOf(application));

    await recorder.phase(1, 1, 'unhealthy', 'web-1: start failed: bad value hunter2-value');
    await recorder.batch(batch.id, {
      status: 'failed',
      failureReason: 'web-1: hunter2-value',
      healthCheckResults: {
        '1': { healthy: false, statusCode: null, attempts: 0, elapsedMs: 0, message: 'x hunter2-value' },
      },
    });
    await recorder.note('waiting', 'saw hunter2-value', { output: ['hunter2-value'] });
    await recorder.finished({ status: 'failed', failureReason: 'Batch 1: hunter2-value' }, 'hunter2-value');

    const recorded = JSON.stringify({
      events: store.events,
      batches: store.batches,
      deployment: store.deployment,
    });
    const emitted = JSON.stringify(events.emitted);
    for (const text of [recorded, emitted]) {
      expect(text).not.toContain('hunter2');
      expect(text).toContain('***');
    }
    // A secret that happens to equal a status word does not corrupt the state.
    expect(store.deployment.status).toBe('failed');
    expect(store.batches[0]?.status).toBe('failed');
    expect(store.deployment.failureReason).toBe('Batch 1: ***');
    expect(store.batches[0]?.healthCheckResults['1']?.message).toBe('x ***');
  });
});
