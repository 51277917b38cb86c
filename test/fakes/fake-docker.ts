import type { Responder } from './recording-executor';

interface Container {
  image: string;
  running: boolean;
}

/**
 * Container state per server for the recording executor: answers inspect and applies run, stop,
 * start, rm and rename like the Docker CLI, so the strategy's decisions can be followed in unit tests.
 */
export class FakeDocker {
  readonly hosts = new Map<string, Map<string, Container>>();
  /** `server/reference` pairs whose pull fails. */
  readonly failingPulls = new Set<string>();

  container(server: string, name: string): Container | undefined {
    return this.host(server).get(name);
  }

  seed(server: string, name: string, image: string, running = true): this {
    this.host(server).set(name, { image, running });
    return this;
  }

  readonly responder: Responder = (server, _line, command) => {
    const [, verb, ...args] = command.argv;
    const host = this.host(server.name);
    const name = args[args.length - 1];
    const missing = { exitCode: 1, stderr: `Error response from daemon: No such container: ${name}` };
    switch (verb) {
      case 'pull':
        return this.failingPulls.has(`${server.name}/${name}`)
          ? {
              exitCode: 1,
              stderr: `Error response from daemon: manifest for ${name} not found: manifest unknown`,
            }
          : { stdout: `Status: Downloaded newer image for ${name}\n` };
      case 'inspect': {
        const c = host.get(name);
        if (!c) return { ...missing, stdout: '[]' };
        return {
          stdout: `${JSON.stringify({ Name: name, Config: { Image: c.image }, State: { Running: c.running, Status: c.running ? 'running' : 'exited' } })}\n`,
        };
      }
      case 'run': {
        const containerName = args[args.indexOf('--name') + 1];
        if (host.has(containerName))
          return {
            exitCode: 125,
            stderr: `Conflict. The container name "/${containerName}" is already in use`,
          };
        host.set(containerName, { image: name, running: true });
        return { stdout: 'f00d\n' };
      }
      case 'stop':
      case 'start': {
        const c = host.get(name);
        if (!c) return missing;
        c.running = verb === 'start';
        return { stdout: `${name}\n` };
      }
      case 'rm':
        if (!host.delete(name)) return missing;
        return { stdout: `${name}\n` };
      case 'rename': {
        const [from, to] = args;
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

  private host(server: string): Map<string, Container> {
    let host = this.hosts.get(server);
    if (!host) {
      host = new Map();
      this.hosts.set(server, host);
    }
    return host;
  }
}
