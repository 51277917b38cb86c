import { Command } from 'commander';
import { addRolloutOptions, rollingUpdateBody, type RolloutFlags } from './rolling-update-options';

/** Parses the flags as `deploy` does and answers the body it would send. */
function bodyFor(...args: string[]): Record<string, unknown> {
  const command = addRolloutOptions(new Command('deploy'))
    .exitOverride()
    .configureOutput({
      writeErr: () => undefined,
    });
  command.parse(args, { from: 'user' });
  return rollingUpdateBody(command.opts<RolloutFlags>());
}

describe('rolling-update options', () => {
  it('sends nothing the user did not give: the API applies its defaults', () => {
    expect(bodyFor()).toEqual({});
  });

  it('maps --batch 25% to a percentage and --batch 3 to a number of servers', () => {
    expect(bodyFor('--batch', '25%')).toEqual({ batchSize: 25, batchSizeIsPercentage: true });
    expect(bodyFor('--batch', '3')).toEqual({ batchSize: 3, batchSizeIsPercentage: false });
  });

  it("uses the contract's field names", () => {
    expect(
      bodyFor(
        '--wait',
        '0.5',
        '--health-path',
        '/ready',
        '--health-timeout',
        '10',
        '--health-interval',
        '0.05',
        '--max-retries',
        '3',
        '--success-threshold',
        '2',
        '--min-healthy',
        '0',
        '--failure-threshold',
        '1',
        '--no-auto-rollback',
        '--order',
        'start-first',
        '--start-period',
        '1',
        '--min-ready',
        '2',
        '--progress-deadline',
        '60',
        '--pause-after-each-batch',
      ),
    ).toEqual({
      waitInterval: 0.5,
      healthCheckPath: '/ready',
      healthCheckTimeout: 10,
      healthCheckInterval: 0.05,
      maxHealthCheckRetries: 3,
      successThreshold: 2,
      minimumHealthyInstances: 0,
      failureThreshold: 1,
      autoRollbackOnFailure: false,
      order: 'start-first',
      startPeriod: 1,
      minReadySeconds: 2,
      progressDeadline: 60,
      pauseAfterEachBatch: true,
    });
  });

  it.each([
    [['--batch', '0'], "option '--batch <size>' argument '0' is invalid"],
    [['--batch', '150%'], 'A percentage must be from 1% to 100%'],
    [['--wait', 'soon'], "option '--wait <seconds>' argument 'soon' is invalid"],
    [['--order', 'random'], 'Give stop-first or start-first'],
    [['--max-retries', '0'], 'at least 1'],
  ])('refuses %j naming the option', (args, message) => {
    expect(() => bodyFor(...args)).toThrow(message);
  });
});
