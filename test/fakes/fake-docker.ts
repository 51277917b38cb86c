import type { Responder } from './recording-executor';

interface Container {
  image: string;
  imageId: string;
  running: boolean;
  hostPort: number;
}

/**
 * Container state per server for the recording executor: answers inspect and applies run, stop,
 * start, rm and rename like the Docker CLI, so the strategy's decisions can be followed in unit tests.
 */
export class FakeDocker {
  readonly hosts = new Map<string, Map<string, Container>>();
  /** `server/reference` pairs whose pull fails. */
  readonly failingPulls = new Set<string>();
  /** The registry's content: a reference's image id changes when it is pushed again. */
  private readonly registry = new Map<string, string>();
  /** Per server, the image id each pulled reference points to. */
  private readonly images = new Map<string, Map<string, string>>();

  /** The tag gets new content in the registry (a rebuilt `latest`); servers see it on their next pull. */
  repush(reference: string): void {
    this.registry.set(reference, `${this.registryId(reference)}-again`);
  }

  container(server: string, name: string): Container | undefined {
    return this.host(server).get(name);
  }

  seed(server: string, name: string, image: string, running = true, hostPort = 8080): this {
    this.host(server).set(name, { image, imageId: this.registryId(image), running, hostPort });
    this.localImages(server).set(image, this.registryId(image));
    return this;
  }

  readonly responder: Responder = (server, _line, command) => {
    const [, verb, ...args] = command.argv;
    const host = this.host(server.name);
    const name = args.at(-1);
    // Every command the engine sends names its image or container last; anything else is not ours to answer.
    if (verb === undefined || name === undefined) return undefined;
    const missing = { exitCode: 1, stderr: `Error response from daemon: No such container: ${name}` };
    switch (verb) {
      case 'pull':
        if (this.failingPulls.has(`${server.name}/${name}`))
          return {
            exitCode: 1,
            stderr: `Error response from daemon: manifest for ${name} not found: manifest unknown`,
          };
        this.localImages(server.name).set(name, this.registryId(name));
        return { stdout: `Status: Downloaded newer image for ${name}\n` };
      case 'image': {
        const id = this.localImages(server.name).get(name);
        return id === undefined
          ? { exitCode: 1, stderr: `Error response from daemon: No such image: ${name}` }
          : { stdout: `sha256:${id}\n` };
      }
      case 'inspect': {
        // `--type container --format '{{json .}}' NAME…`: a JSON line per container found, an error per
        // missing one, exit 1 when any is missing (as Docker's CLI).
        const names = args.slice(args.indexOf('--format') + 2);
        const found = names.flatMap((n) => {
          const c = host.get(n);
          return c ? [JSON.stringify(inspected(n, c))] : [];
        });
        const absent = names.filter((n) => !host.has(n));
        return {
          exitCode: absent.length > 0 ? 1 : 0,
          stdout: found.map((line) => `${line}\n`).join(''),
          stderr: absent.map((n) => `Error response from daemon: No such container: ${n}\n`).join(''),
        };
      }
      case 'run': {
        const containerName = args[args.indexOf('--name') + 1];
        if (containerName === undefined) return { exitCode: 125, stderr: 'fake docker: run without --name' };
        if (host.has(containerName))
          return {
            exitCode: 125,
            stderr: `Conflict. The container name "/${containerName}" is already in use`,
          };
        const imageId = this.localImages(server.name).get(name) ?? this.registryId(name);
        const published = args[args.indexOf('-p') + 1] ?? '';
        const hostPort = Number(published.split(':')[0]);
        const taken = [...host.entries()].find(([, c]) => c.running && c.hostPort === hostPort);
        if (taken)
          return {
            exitCode: 125,
            stderr: `Bind for 0.0.0.0:${hostPort} failed: port is already allocated (by ${taken[0]})`,
          };
        host.set(containerName, { image: name, imageId, running: true, hostPort });
        return { stdout: 'f00d\n' };
      }
      case 'stop':
      case 'start': {
        const c = host.get(name);
        if (!c) return missing;
        const clash = [...host.entries()].find(
          ([other, o]) => other !== name && o.running && o.hostPort === c.hostPort,
        );
        if (verb === 'start' && clash && !c.running)
          return { exitCode: 125, stderr: `port ${c.hostPort} is already allocated (by ${clash[0]})` };
        c.running = verb === 'start';
        return { stdout: `${name}\n` };
      }
      case 'rm':
        if (!host.delete(name)) return missing;
        return { stdout: `${name}\n` };
      case 'rename': {
        const [from, to] = args;
        if (from === undefined || to === undefined)
          return { exitCode: 1, stderr: '"docker rename" requires exactly 2 arguments.' };
        const c = host.get(from);
        if (!c) return { exitCode: 1, stderr: `Error response from daemon: No such container: ${from}` };
        host.delete(from);
        host.set(to, c);
        return {};
      }
      default:
        return undefined;
    }
  };

  private registryId(reference: string): string {
    return this.registry.get(reference) ?? `id-of-${reference}`;
  }

  private localImages(server: string): Map<string, string> {
    return mapOf(this.images, server);
  }

  private host(server: string): Map<string, Container> {
    return mapOf(this.hosts, server);
  }
}

function inspected(name: string, c: Container) {
  return {
    Name: `/${name}`,
    Image: `sha256:${c.imageId}`,
    Config: { Image: c.image },
    State: { Running: c.running, Status: c.running ? 'running' : 'exited' },
    HostConfig: { PortBindings: { '3000/tcp': [{ HostIp: '', HostPort: String(c.hostPort) }] } },
  };
}

/** The inner map of `key`, created empty on first use. */
function mapOf<V>(outer: Map<string, Map<string, V>>, key: string): Map<string, V> {
  let inner = outer.get(key);
  if (!inner) {
    inner = new Map();
    outer.set(key, inner);
  }
  return inner;
}
