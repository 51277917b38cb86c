import type { Clock } from '../../common/clock';
import type { LoadBalancerConfig } from '../../rollout/domain';
import {
  FILE_MISSING_EXIT_CODE,
  adminShellCommand,
  atomicWriteFile,
  readFileIfExists,
  removeFile,
} from '../../rollout/commands/file-commands';
import type { RotationMember } from '../../rollout/ports/load-balancer.port';
import type { CommandResult, RemoteExecutor } from '../../rollout/ports/remote-executor.port';
import { renderNginxConfig } from '../../rollout/commands/nginx-config';
import { DriverTarget, LoadBalancerDriver, LoadBalancerStep, RemoteSteps, exitDetail } from './remote-steps';

type NginxConfig = Extract<LoadBalancerConfig, { type: 'nginx' }>;

/**
 * Replaces the application's file, then `testCommand` and `reloadCommand`. When either fails, the previous
 * file goes back so the file on disk matches what nginx runs. The write and reload happen even when the
 * content is unchanged: a run interrupted between write and reload must still reach nginx when resumed.
 */
export class NginxDriver implements LoadBalancerDriver<DriverTarget<NginxConfig>> {
  constructor(
    private readonly executor: RemoteExecutor,
    private readonly clock: Clock,
  ) {}

  async removeFromRotation(
    target: DriverTarget<NginxConfig>,
    remaining: readonly RotationMember[],
    leaving: readonly RotationMember[],
    signal?: AbortSignal,
  ): Promise<void> {
    await this.apply(target, remaining);
    if (leaving.length > 0) await this.clock.sleep(target.config.drainSeconds * 1000, signal);
  }

  async addToRotation(target: DriverTarget<NginxConfig>, all: readonly RotationMember[]): Promise<void> {
    await this.apply(target, all);
  }

  /** A reload: nginx's old workers finish their requests to the old ports while new ones use the new. */
  async moveInRotation(
    target: DriverTarget<NginxConfig>,
    all: readonly RotationMember[],
    moved: readonly RotationMember[],
  ): Promise<void> {
    await this.apply(target, all);
    if (moved.length > 0) await this.clock.sleep(target.config.drainSeconds * 1000);
  }

  private async apply(target: DriverTarget<NginxConfig>, members: readonly RotationMember[]): Promise<void> {
    const { config } = target;
    const content = renderNginxConfig({
      application: target.application,
      listenPort: config.listenPort,
      domain: config.domain,
      members,
    });
    const steps = new RemoteSteps(this.executor, target.server, 'nginx');

    const read = await steps.run('read', readFileIfExists(config.configPath), [0, FILE_MISSING_EXIT_CODE]);
    const previous = read.exitCode === FILE_MISSING_EXIT_CODE ? null : read.stdout;
    await steps.run('write', atomicWriteFile(config.configPath, content));

    for (const [step, commandLine] of [
      ['test', config.testCommand],
      ['reload', config.reloadCommand],
    ] as const) {
      const result = await steps.attempt(step, adminShellCommand(commandLine));
      if (result.exitCode !== 0) await this.restoreAndFail(steps, config.configPath, previous, step, result);
    }
  }

  private async restoreAndFail(
    steps: RemoteSteps,
    path: string,
    previous: string | null,
    step: LoadBalancerStep,
    result: CommandResult,
  ): Promise<never> {
    const restore = await steps.attempt(
      'restore',
      previous === null ? removeFile(path) : atomicWriteFile(path, previous),
    );
    const outcome =
      restore.exitCode === 0
        ? 'previous file restored'
        : `restoring the previous file failed too: ${exitDetail(restore)}`;
    throw steps.failure(step, `${exitDetail(result)} (${outcome})`);
  }
}
