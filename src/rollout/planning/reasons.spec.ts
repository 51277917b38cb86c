import type { BatchStatus } from '../domain';
import {
  abandonedReason,
  batchBudgetReason,
  describeHealth,
  envFileLeftReason,
  failedBatchesSummary,
  finishReason,
  fleetBatchLoadBalancerReason,
  handBackFailedReason,
  healthCheckFailedReason,
  joinReasons,
  lastFailureOf,
  loadBalancerReason,
  messageOf,
  namesServer,
  outOfRotationReason,
  pullsFailedReason,
  leftOutReason,
  putBackFailedReason,
  restoreErrorReason,
  restoreUnhealthyReason,
  rollbackFailedReason,
  rolledBackReason,
  serverLabel,
  serverStepReason,
} from './reasons';

const web2 = { name: 'web-2', host: '10.0.0.2' };
const failedAfter10 = { message: 'Health check failed after 10 attempts', lastError: null, statusCode: 500 };
const refused = {
  message: 'Health check failed after 3 attempts',
  lastError: 'connect ECONNREFUSED 10.0.0.2:8080',
  statusCode: null,
};
const timedOut = { message: 'Health check timed out after 120 s', lastError: null, statusCode: null };
const batch = (batchNumber: number, status: BatchStatus, failureReason: string | null = null) => ({
  batchNumber,
  status,
  failureReason,
});

describe('failure reasons', () => {
  it.each([
    ['an Error', new Error('boom'), 'boom'],
    ['a string', 'boom', 'boom'],
    ['a number', 42, '42'],
  ])('messageOf(%s)', (_what, error, text) => {
    expect(messageOf(error)).toBe(text);
  });

  it.each([
    [failedAfter10, 'Health check failed after 10 attempts (last: HTTP 500)'],
    [refused, 'Health check failed after 3 attempts (last: connect ECONNREFUSED 10.0.0.2:8080)'],
    [
      { ...refused, statusCode: 503 },
      'Health check failed after 3 attempts (last: connect ECONNREFUSED 10.0.0.2:8080)',
    ],
    [timedOut, 'Health check timed out after 120 s'],
  ])('describeHealth(%j) → %s', (outcome, text) => {
    expect(describeHealth(outcome)).toBe(text);
  });

  it.each([
    [serverLabel(web2), 'web-2 (10.0.0.2)'],
    [joinReasons(['a', 'b']), 'a; b'],
    [joinReasons([]), null],
    [
      batchBudgetReason(2, 'Insufficient healthy instances. Current: 2, Minimum required: 3'),
      'Batch 2: Insufficient healthy instances. Current: 2, Minimum required: 3',
    ],
    [
      pullsFailedReason([
        'web-2 (10.0.0.2): pull failed: manifest unknown',
        'web-3 (10.0.0.3): pull failed: x',
      ]),
      'Nothing was drained: web-2 (10.0.0.2): pull failed: manifest unknown; web-3 (10.0.0.3): pull failed: x',
    ],
    [
      loadBalancerReason(new Error('haproxy drain failed: No such server.')),
      'load balancer: haproxy drain failed: No such server.',
    ],
    [
      healthCheckFailedReason(web2, failedAfter10),
      'web-2 (10.0.0.2): health check failed: Health check failed after 10 attempts (last: HTTP 500)',
    ],
    [
      putBackFailedReason(
        'web-2',
        new Error('nginx load balancer on lb-1: reload failed: exit 1: (no output)'),
      ),
      'web-2: load balancer: nginx load balancer on lb-1: reload failed: exit 1: (no output)',
    ],
    [
      leftOutReason(
        'web-2',
        new Error('haproxy load balancer on lb-1: ready failed: SSH connection timed out'),
      ),
      "web-2: load balancer: haproxy load balancer on lb-1: ready failed: SSH connection timed out (web-2 is left out of rotation on a working version: check that the load balancer's host answers; the next deployment or rollback puts it back)",
    ],
    [
      handBackFailedReason('while draining', new Error('refused')),
      'Cancelled while draining; putting the servers back failed: load balancer: refused',
    ],
    [
      restoreUnhealthyReason(web2, failedAfter10),
      'web-2 (10.0.0.2): restore failed: Health check failed after 10 attempts (last: HTTP 500)',
    ],
    [
      restoreErrorReason('web-2', new Error('web-2 (10.0.0.2): restore failed: No such container')),
      'web-2 (10.0.0.2): restore failed: No such container',
    ],
    [
      restoreErrorReason('web-2', new Error('The load balancer server is no longer registered')),
      'web-2: The load balancer server is no longer registered',
    ],
    [
      serverStepReason(web2, 'SSH connect', 'connect ECONNREFUSED 10.0.0.2:22'),
      'web-2 (10.0.0.2): SSH connect failed: connect ECONNREFUSED 10.0.0.2:22',
    ],
    [
      envFileLeftReason('/tmp/rollout-env-00', 'exit code 1'),
      'the container started but its env file /tmp/rollout-env-00 was not removed: exit code 1',
    ],
    [fleetBatchLoadBalancerReason(3, new Error('refused')), 'batch 3: load balancer: refused'],
    [outOfRotationReason(web2), 'web-2 (10.0.0.2) is out of rotation'],
    [
      abandonedReason('connect ECONNREFUSED 127.0.0.1:5432'),
      'The rollout stopped after repeated errors: connect ECONNREFUSED 127.0.0.1:5432',
    ],
  ])('%s', (actual, expected) => {
    expect(actual).toBe(expected);
  });

  it.each([
    [['web-2 (10.0.0.2): restore failed: x'], 'web-2', true],
    [['web-2: load balancer: x'], 'web-2', false],
    [['web-20 (10.0.0.20): restore failed: x'], 'web-2', false],
    [['batch 1: load balancer: x'], 'web-2', false],
  ])('namesServer(%j, %s) → %s', (reasons, name, expected) => {
    expect(namesServer(reasons, name)).toBe(expected);
  });

  it.each([
    [[batch(1, 'failed', 'first'), batch(2, 'completed'), batch(3, 'rolled_back', 'third')], 'third'],
    [[batch(1, 'failed', 'first'), batch(2, 'completed')], 'first'],
    [[batch(1, 'completed')], 'unknown'],
  ])('lastFailureOf(%j) → %s', (batches, expected) => {
    expect(lastFailureOf(batches)).toBe(expected);
  });

  it('says why a fleet was rolled back, or what could not be restored', () => {
    const failures = (failedInARow: number, failureThreshold: number) =>
      ({ kind: 'failures', failedInARow, failureThreshold }) as const;
    expect(rolledBackReason(failures(2, 2), 'web-3 (10.0.0.3): health check failed: x')).toBe(
      'Rolled back after 2 consecutive failed batch(es) (failureThreshold 2); last failure: web-3 (10.0.0.3): health check failed: x',
    );
    expect(
      rollbackFailedReason(failures(1, 1), 'x', [
        'web-2 (10.0.0.2): restore failed: y',
        'web-1 (10.0.0.1) is out of rotation',
      ]),
    ).toBe(
      'Rollback failed after 1 consecutive failed batch(es) (failureThreshold 1); last failure: x. Not restored: web-2 (10.0.0.2): restore failed: y; web-1 (10.0.0.1) is out of rotation',
    );
    expect(
      rolledBackReason(
        { kind: 'progress_deadline', seconds: 30 },
        'web-1 (10.0.0.1): health check failed: y',
      ),
    ).toBe(
      'Rolled back after no batch completed within progressDeadline (30s); last failure: web-1 (10.0.0.1): health check failed: y',
    );
  });
});

describe('finishReason', () => {
  const facts = {
    failedInARow: 1,
    failureThreshold: 1,
    completedBatches: 1,
    failedBatches: 1,
    totalBatches: 4,
    batches: [
      batch(3, 'failed', 'web-5 (10.0.0.5): pull failed: x'),
      batch(1, 'completed'),
      batch(2, 'rolled_back', 'y'),
    ],
  };

  it.each([
    ['failed', '1 consecutive failed batch(es) (failureThreshold 1) and automatic rollback is off'],
    ['cancelled', 'Cancelled after 2 of 4 batch(es)'],
    [
      'completed_with_errors',
      '2 of 4 batch(es) failed: batch 2 rolled back to the previous version; batch 3: web-5 (10.0.0.5): pull failed: x',
    ],
    ['completed', null],
    ['rolled_back', null],
  ] as const)('%s → %j', (status, reason) => {
    expect(finishReason(status, facts)).toBe(reason);
  });

  it('names a failed batch without a recorded reason as failed', () => {
    expect(failedBatchesSummary([batch(1, 'failed')], 1)).toBe('1 of 1 batch(es) failed: batch 1: failed');
  });
});
