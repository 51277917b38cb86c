import { randomBytes } from 'node:crypto';
import { capacityCommand, parseCapacity, type ServerCapacity } from '../commands/capacity-commands';
import {
  type ContainerSpec,
  type ContainerState,
  bareImageId,
  docker,
  envFilePath,
  nextContainerName,
  parseInspectAll,
  previousContainerName,
  sameReference,
} from '../commands/docker-commands';
import type { ApplicationSpec, ServerTarget } from '../domain';
import { fitsInSequence, inSequence } from '../commands/shell';
import { envFileLeftReason, messageOf, serverStepReason } from '../planning/reasons';
import { CommandResult, RemoteCommand, RemoteConnectionError, RemoteExecutor } from '../ports';
import { SecretMask, secretMaskOf } from './secret-mask';

export type FailedStep = 'pull' | 'start' | 'restore' | 'SSH connect' | 'inspect' | 'capacity check';

/** A step that failed on one server; the message names the server, the step and the remote output. */
export class ServerStepError extends Error {
  constructor(
    readonly server: ServerTarget,
    readonly step: FailedStep,
    detail: string,
  ) {
    super(serverStepReason(server, step, detail));
    this.name = 'ServerStepError';
  }
}

const MAX_OUTPUT = 500;

/** The remote output, secrets masked before it is shortened (a cut could leave part of one). */
function outputOf(result: CommandResult, mask: SecretMask): string {
  const raw = result.stderr.trim() || result.stdout.trim() || `exit code ${result.exitCode}`;
  const text = mask.text(mask.text(raw).replace(/\s+/g, ' '));
  return text.length > MAX_OUTPUT ? `${text.slice(0, MAX_OUTPUT)}…` : text;
}

export interface SwapResult {
  /** The image:tag that ran before, kept as `<name>-previous`; null when the server had none. */
  previousReference: string | null;
  /** The host port the new container serves on. */
  hostPort: number;
}

/** Where the restored previous container serves; null when it cannot start beside the current one. */
export interface BesideRestore {
  hostPort: number;
}

/** The docker steps of one application on one server (a small per-host object, as Kamal's boot). */
export class ServerOperations {
  private readonly name: string;
  private readonly previousName: string;
  private readonly nextName: string;
  private readonly mask: SecretMask;

  constructor(
    private readonly executor: RemoteExecutor,
    readonly server: ServerTarget,
    private readonly application: ApplicationSpec,
    private readonly deploymentId: number,
  ) {
    this.name = application.name;
    this.previousName = previousContainerName(application.name);
    this.nextName = nextContainerName(application.name);
    this.mask = secretMaskOf(application);
  }

  /** Free memory and disk where Docker keeps images; changes nothing on the server. */
  async capacity(): Promise<ServerCapacity> {
    const result = await this.mustSucceed('capacity check', capacityCommand(this.application.dockerDataPath));
    const reading = parseCapacity(result.stdout);
    if (!reading.ok)
      throw this.failure('capacity check', `${reading.problem}: ${outputOf(result, this.mask)}`);
    return reading.capacity;
  }

  async pull(image: string, tag: string): Promise<void> {
    await this.mustSucceed('pull', docker.pull(image, tag));
  }

  /**
   * Keeps the running container as `<name>-previous` (stopped, not removed) and starts the new one.
   * Idempotent: when `<name>` already runs the target image (a resumed rollout), nothing changes. A tag
   * pushed again with new content (`latest`) is a new image, so it is swapped like any other version.
   */
  async swap(image: string, tag: string): Promise<SwapResult> {
    const [current, previous] = await this.inspectAll(this.name, this.previousName);
    if (current && (await this.runsTarget(current, image, tag))) {
      if (!current.running) await this.mustSucceed('start', docker.start(this.name));
      return { previousReference: previous?.image ?? null, hostPort: this.portOf(current) };
    }
    // The new container takes the port the old one served on, so the load balancer's address stays.
    const hostPort = current
      ? this.portOf(current)
      : previous
        ? this.portOf(previous)
        : this.application.hostPort;
    // The retained previous container is the one being replaced now; anything older goes. One exec
    // from the removal to the run: a crash half-way leaves one of the states handled above.
    const retire = current ? this.retireCommands(current, previous) : [];
    await this.run(this.containerSpec(this.name, image, tag, hostPort), retire);
    // No current container but a previous one: an earlier attempt renamed it and died before `run`.
    return { previousReference: current?.image ?? previous?.image ?? null, hostPort };
  }

  /**
   * `start-first`: starts the new version as `<name>-next` on the other port (`hostPort` ↔
   * `alternateHostPort`) while `<name>` keeps serving. A `<name>-next` left by an earlier attempt is reused
   * when it already runs the target on that port, otherwise replaced. Null when nothing serves to start
   * beside (no container, a stopped one) or `<name>` already runs the target: the stop-first swap applies.
   */
  async startBeside(image: string, tag: string): Promise<SwapResult | null> {
    let [current, next] = await this.inspectAll(this.name, this.nextName);
    if (!current && next) {
      // An earlier attempt died half-way through `finishBeside`: the new container already serves.
      await this.finishBeside();
      [current, next] = await this.inspectAll(this.name, this.nextName);
    }
    if (!current?.running || (await this.runsTarget(current, image, tag))) return null;
    const hostPort = this.otherPort(this.portOf(current));
    const reusable = next?.running && next.hostPort === hostPort && (await this.runsTarget(next, image, tag));
    if (!reusable) {
      const replaced = next ? [docker.remove(this.nextName)] : [];
      await this.run(this.containerSpec(this.nextName, image, tag, hostPort), replaced);
    }
    return { previousReference: current.image, hostPort };
  }

  /**
   * After the load balancer moved to `<name>-next`: the old `<name>` is stopped (given `stopTimeout` for
   * what is still in flight) and kept as `<name>-previous`, and the new one takes the name. Idempotent.
   */
  async finishBeside(): Promise<void> {
    const [next, current, previous] = await this.inspectAll(this.nextName, this.name, this.previousName);
    if (!next) return;
    const retire = current ? this.retireCommands(current, previous) : [];
    await this.mustSucceedAll('start', [...retire, docker.rename(this.nextName, this.name)]);
  }

  /** A `start-first` start that failed or was not healthy: the new container goes, the old one never left. */
  async discardNext(): Promise<void> {
    const [next] = await this.inspectAll(this.nextName);
    if (next) await this.mustSucceed('restore', docker.remove(this.nextName));
  }

  /**
   * Going back without a gap: starts `<name>-previous` beside the running `<name>` when they publish
   * different ports. Null when that is not possible (no previous container, same port, nothing running).
   */
  async startPreviousBeside(): Promise<BesideRestore | null> {
    const [previous, current] = await this.inspectAll(this.previousName, this.name);
    if (!previous || !current?.running || previous.hostPort === null) return null;
    if (previous.hostPort === this.portOf(current)) return null;
    if (!previous.running) await this.mustSucceed('restore', docker.start(this.previousName));
    return { hostPort: previous.hostPort };
  }

  /** After the load balancer moved back to `<name>-previous`: the current container goes, it takes the name. */
  async finishPreviousBeside(): Promise<void> {
    const [previous, current] = await this.inspectAll(this.previousName, this.name);
    if (!previous) return;
    const removal = current ? [docker.remove(this.name)] : [];
    await this.mustSucceedAll('restore', [...removal, docker.rename(this.previousName, this.name)]);
  }

  /** The previous container started beside was not healthy: it is stopped again, the current one serves on. */
  async stopPreviousBeside(): Promise<void> {
    await this.mustSucceed('restore', docker.stop(this.previousName, 0));
  }

  /**
   * Removes the new container (`image:tag`) and brings the previous one back; null when there was none to
   * restore, otherwise the port it serves on. Idempotent: when an earlier attempt already renamed the
   * previous container into place (a worker killed mid-restore), that one is kept and started.
   */
  async restorePrevious(image: string, tag: string): Promise<{ hostPort: number } | null> {
    const [previous, current] = await this.inspectAll(this.previousName, this.name);
    if (!previous) {
      if (current && !(await this.runsTarget(current, image, tag))) {
        if (!current.running) await this.mustSucceed('restore', docker.start(this.name));
        return { hostPort: this.portOf(current) };
      }
      if (current) await this.mustSucceed('restore', docker.remove(this.name));
      return null;
    }
    await this.mustSucceedAll('restore', [
      ...(current ? [docker.remove(this.name)] : []),
      docker.rename(this.previousName, this.name),
      docker.start(this.name),
    ]);
    return { hostPort: this.portOf(previous) };
  }

  /** Whether the container runs `image:tag` as pulled now. */
  private async runsTarget(container: ContainerState, image: string, tag: string): Promise<boolean> {
    return (
      sameReference(container.image, `${image}:${tag}`) && (await this.runsPulledImage(container, image, tag))
    );
  }

  private portOf(container: ContainerState): number {
    return container.hostPort ?? this.application.hostPort;
  }

  /** The port a `start-first` start uses beside an instance on `port`. */
  private otherPort(port: number): number {
    return port === this.application.hostPort
      ? this.application.alternateHostPort
      : this.application.hostPort;
  }

  /** True unless the pulled `image:tag` is known to differ from the image the container was created from. */
  private async runsPulledImage(container: ContainerState, image: string, tag: string): Promise<boolean> {
    if (container.imageId === null) return true;
    const result = await this.exec(docker.imageId(image, tag));
    if (result.exitCode !== 0 || result.stdout.trim() === '') return true;
    return bareImageId(result.stdout) === container.imageId;
  }

  /** The running `<name>` stopped and kept as `<name>-previous`, the one kept before it removed. */
  private retireCommands(current: ContainerState, previous?: ContainerState | null): RemoteCommand[] {
    return [
      ...(previous ? [docker.remove(this.previousName)] : []),
      ...(current.running ? [docker.stop(this.name, this.application.stopTimeout)] : []),
      docker.rename(this.name, this.previousName),
    ];
  }

  /**
   * `docker run`, after `before` in the same exec. Secret env goes into a 0600 file written over SSH's
   * stdin for the run and removed right after it, whether the run worked or not, so no value is ever on a
   * remote command line.
   */
  private async run(spec: ContainerSpec, before: RemoteCommand[] = []): Promise<void> {
    const secretEnv = this.application.secretEnv ?? {};
    if (Object.keys(secretEnv).length === 0) {
      await this.mustSucceedAll('start', [...before, docker.run(spec)]);
      return;
    }
    if (before.length > 0) await this.mustSucceedAll('start', before);
    const envFile = envFilePath(randomBytes(16).toString('hex'));
    try {
      await this.mustSucceed('start', docker.writeEnvFile(envFile, secretEnv));
      await this.mustSucceed('start', docker.run({ ...spec, envFile }));
    } catch (error) {
      await this.removeEnvFile(envFile); // best effort: the failed step is what gets reported
      throw error;
    }
    const problem = await this.removeEnvFile(envFile);
    if (problem !== null) {
      throw this.failure('start', envFileLeftReason(envFile, problem));
    }
  }

  /** Null once removed; otherwise why not. */
  private async removeEnvFile(path: string): Promise<string | null> {
    try {
      const result = await this.executor.run(this.server, docker.removeEnvFile(path));
      return result.exitCode === 0 ? null : outputOf(result, this.mask);
    } catch (error) {
      return this.mask.text(messageOf(error));
    }
  }

  private containerSpec(name: string, image: string, tag: string, hostPort: number): ContainerSpec {
    return {
      name,
      image,
      tag,
      hostPort,
      containerPort: this.application.containerPort,
      env: this.application.env,
      labels: {
        'rollout.application': this.application.name,
        'rollout.deployment': String(this.deploymentId),
      },
    };
  }

  /** The named containers' states in one call, in the order asked (null: no such container). */
  private async inspectAll(...names: string[]): Promise<(ContainerState | null)[]> {
    const result = await this.exec(docker.inspectContainers(names));
    let states: Map<string, ContainerState | null>;
    try {
      states = parseInspectAll(result, names);
    } catch {
      throw this.failure('inspect', outputOf(result, this.mask));
    }
    return names.map((name) => states.get(name) ?? null);
  }

  private async mustSucceed(step: FailedStep, command: RemoteCommand): Promise<CommandResult> {
    const result = await this.exec(command);
    if (result.exitCode !== 0) throw this.failure(step, outputOf(result, this.mask));
    return result;
  }

  /**
   * The commands in order, stopping at the first that fails: one exec when their line fits in one
   * (`inSequence`), otherwise one each.
   */
  private async mustSucceedAll(step: FailedStep, commands: RemoteCommand[]): Promise<void> {
    if (fitsInSequence(commands)) {
      await this.mustSucceed(step, inSequence(commands));
      return;
    }
    for (const command of commands) await this.mustSucceed(step, command);
  }

  private failure(step: FailedStep, detail: string): ServerStepError {
    return new ServerStepError(this.server, step, this.mask.text(detail));
  }

  private async exec(command: RemoteCommand): Promise<CommandResult> {
    try {
      return await this.executor.run(this.server, command);
    } catch (error) {
      if (error instanceof RemoteConnectionError) throw this.failure('SSH connect', error.message);
      throw error;
    }
  }
}
