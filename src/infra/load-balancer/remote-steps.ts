import type { LoadBalancerConfig, ServerTarget } from '../../rollout/domain';
import { ApplicationRef, LoadBalancerError, RotationMember } from '../../rollout/ports/load-balancer.port';
import type { CommandResult, RemoteCommand, RemoteExecutor } from '../../rollout/ports/remote-executor.port';

export type LoadBalancerStep =
  'read' | 'write' | 'test' | 'reload' | 'restore' | 'drain' | 'ready' | 'show stat' | 'set addr';

export const MAX_OUTPUT_CHARS = 500;

/** A load balancer target whose config is narrowed to one type. */
export interface DriverTarget<C extends LoadBalancerConfig> {
  application: ApplicationRef;
  config: C;
  server: ServerTarget;
}

/** One driver per load balancer type, given its narrowed target; the dispatcher routes by `config.type`. */
export interface LoadBalancerDriver<T> {
  removeFromRotation(
    target: T,
    remaining: readonly RotationMember[],
    leaving: readonly RotationMember[],
    signal?: AbortSignal,
  ): Promise<void>;
  addToRotation(target: T, all: readonly RotationMember[], joining: readonly RotationMember[]): Promise<void>;
  moveInRotation(target: T, all: readonly RotationMember[], moved: readonly RotationMember[]): Promise<void>;
}

export function exitDetail(result: CommandResult): string {
  return `exit ${result.exitCode}: ${describeOutput(result)}`;
}

/** stdout and stderr, trimmed and capped, for error messages. */
export function describeOutput(result: Pick<CommandResult, 'stdout' | 'stderr'>): string {
  const text = [result.stdout.trim(), result.stderr.trim()].filter((part) => part !== '').join('\n');
  return text === '' ? '(no output)' : capped(text);
}

export function capped(text: string): string {
  return text.length > MAX_OUTPUT_CHARS ? `${text.slice(0, MAX_OUTPUT_CHARS)}…` : text;
}

/** Runs the remote commands of one load balancer and turns every failure into a LoadBalancerError. */
export class RemoteSteps {
  constructor(
    private readonly executor: RemoteExecutor,
    private readonly server: ServerTarget,
    private readonly type: LoadBalancerConfig['type'],
  ) {}

  /** Runs `command`; an exit status outside `acceptedExitCodes` or an unreachable host fails `step`. */
  async run(
    step: LoadBalancerStep,
    command: RemoteCommand,
    acceptedExitCodes: number[] = [0],
  ): Promise<CommandResult> {
    const result = await this.attempt(step, command);
    if (!acceptedExitCodes.includes(result.exitCode)) throw this.failure(step, exitDetail(result));
    return result;
  }

  /** Runs `command` whatever its exit status; only an unreachable host fails `step`. */
  async attempt(step: LoadBalancerStep, command: RemoteCommand): Promise<CommandResult> {
    try {
      return await this.executor.run(this.server, command);
    } catch (error) {
      throw this.failure(step, capped(error instanceof Error ? error.message : String(error)));
    }
  }

  failure(step: LoadBalancerStep, detail: string): LoadBalancerError {
    return new LoadBalancerError(
      `${this.type} load balancer on ${this.server.name}: ${step} failed: ${detail}`,
    );
  }
}
