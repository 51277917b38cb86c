import { createHash, randomBytes } from 'node:crypto';
import { CliError } from './cli-flags';
import { ContainerApp } from './container-app';

const NEVER = '0001-01-01T00:00:00Z';
const MAX_LOG_LINES = 200;

export interface ImageReference {
  repository: string;
  tag: string;
  /** `repository:tag` */
  full: string;
}

export interface PortBinding {
  hostIp: string;
  hostPort: number;
  containerPort: number;
  protocol: string;
}

export interface ContainerConfig {
  name: string;
  /** The reference as `docker run` was given it (what docker reports as Config.Image). */
  imageText: string;
  reference: ImageReference;
  env: string[];
  labels: Record<string, string>;
  ports: PortBinding[];
  restartPolicy: string;
}

export interface Container extends ContainerConfig {
  id: string;
  imageId: string;
  created: string;
  status: 'created' | 'running' | 'exited';
  exitCode: number;
  startedAt: string;
  finishedAt: string;
  /** The host port the running container listens on (the bound one when `-p` asked for any). */
  boundPort: number | null;
  app: ContainerApp | null;
  logs: string[];
}

export interface RuntimeOptions {
  serverName: string;
  /** The simulated server's own loopback address: every container listens on it. */
  address: string;
  slowReadyMs: number;
  pullDelayMs: () => number;
}

/** The image id a reference pulls: fixed per reference, as a registry that never changes would give. */
export function imageIdOf(reference: ImageReference): string {
  return `sha256:${createHash('sha256').update(`demo-image:${reference.full}`).digest('hex')}`;
}

/**
 * One simulated server's container runtime: images and containers in memory, each running container a
 * real HTTP server on the server's address. Every change goes through `exclusive`, so concurrent docker
 * commands on one server see each other's effects in order.
 */
export class ContainerRuntime {
  readonly images = new Map<string, { id: string; created: string }>();
  private readonly containers: Container[] = [];
  private queue: Promise<unknown> = Promise.resolve();

  constructor(readonly options: RuntimeOptions) {}

  exclusive<T>(work: () => Promise<T> | T): Promise<T> {
    const next = this.queue.then(work, work);
    this.queue = next.catch(() => undefined);
    return next;
  }

  all(): readonly Container[] {
    return this.containers;
  }

  /** By full name, by id, or by a unique id prefix, as docker resolves a container reference. */
  find(reference: string): Container | undefined {
    const name = reference.startsWith('/') ? reference.slice(1) : reference;
    const byName = this.containers.find((c) => c.name === name || c.id === reference);
    if (byName) return byName;
    const byPrefix = this.containers.filter((c) => reference.length >= 1 && c.id.startsWith(reference));
    return byPrefix.length === 1 ? byPrefix[0] : undefined;
  }

  mustFind(reference: string): Container {
    const container = this.find(reference);
    if (!container) throw new CliError(`Error response from daemon: No such container: ${reference}`);
    return container;
  }

  /** Nothing is downloaded: a short wait makes the pull visible. Returns whether the image was new. */
  async pull(reference: ImageReference): Promise<boolean> {
    await new Promise((resolve) => setTimeout(resolve, this.options.pullDelayMs()));
    if (this.images.has(reference.full)) return false;
    this.images.set(reference.full, { id: imageIdOf(reference), created: new Date().toISOString() });
    return true;
  }

  create(config: ContainerConfig): Container {
    const existing = this.containers.find((c) => c.name === config.name);
    if (existing) throw nameConflict(config.name, existing);
    const image = this.images.get(config.reference.full);
    const container: Container = {
      ...config,
      id: randomBytes(32).toString('hex'),
      imageId: image?.id ?? imageIdOf(config.reference),
      created: new Date().toISOString(),
      status: 'created',
      exitCode: 0,
      startedAt: NEVER,
      finishedAt: NEVER,
      boundPort: null,
      app: null,
      logs: [],
    };
    this.containers.push(container);
    return container;
  }

  async start(container: Container): Promise<void> {
    if (container.status === 'running') return;
    const binding = container.ports[0];
    const app = new ContainerApp(
      {
        serverName: this.options.serverName,
        containerName: container.name,
        image: container.reference.repository,
        tag: container.reference.tag,
      },
      this.options.slowReadyMs,
      (line) => appendLog(container, line),
    );
    if (binding) {
      const taken = this.containers.some(
        (c) => c !== container && c.status === 'running' && c.boundPort === binding.hostPort,
      );
      if (taken) throw portAllocated(container, binding.hostPort);
      try {
        container.boundPort = await app.listen(this.options.address, binding.hostPort);
      } catch {
        throw portAllocated(container, binding.hostPort);
      }
    }
    container.app = app;
    container.status = 'running';
    container.exitCode = 0;
    container.startedAt = new Date().toISOString();
    container.finishedAt = NEVER;
  }

  async stop(container: Container, exitCode = 0): Promise<void> {
    if (container.status !== 'running') return;
    await container.app?.close();
    container.app = null;
    container.boundPort = null;
    container.status = 'exited';
    container.exitCode = exitCode;
    container.finishedAt = new Date().toISOString();
    appendLog(container, `stopped (exit code ${exitCode})`);
  }

  async remove(container: Container): Promise<void> {
    await this.stop(container, 137);
    const index = this.containers.indexOf(container);
    if (index !== -1) this.containers.splice(index, 1);
  }

  rename(container: Container, newName: string): void {
    if (container.name === newName) {
      throw new CliError(
        'Error response from daemon: Renaming a container with the same name as its current name',
      );
    }
    const existing = this.containers.find((c) => c.name === newName);
    if (existing) throw new CliError(`Error response from daemon: ${nameConflict(newName, existing).detail}`);
    container.name = newName;
  }

  async shutdown(): Promise<void> {
    await Promise.all(this.containers.map((c) => (c.app ? c.app.close() : Promise.resolve())));
  }
}

class NameConflict extends CliError {
  constructor(readonly detail: string) {
    super(`docker: Error response from daemon: ${detail}\nSee 'docker run --help'.`, 125);
  }
}

function nameConflict(name: string, existing: Container): NameConflict {
  return new NameConflict(
    `Conflict. The container name "/${name}" is already in use by container "${existing.id}". ` +
      'You have to remove (or rename) that container to be able to reuse that name.',
  );
}

function portAllocated(container: Container, port: number): CliError {
  return new CliError(
    `Error response from daemon: driver failed programming external connectivity on endpoint ${container.name} ` +
      `(${container.id}): Bind for 0.0.0.0:${port} failed: port is already allocated`,
  );
}

function appendLog(container: Container, line: string): void {
  container.logs.push(`${new Date().toISOString()} ${line}`);
  if (container.logs.length > MAX_LOG_LINES) container.logs.splice(0, container.logs.length - MAX_LOG_LINES);
}
