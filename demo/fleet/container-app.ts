import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

export interface ContainerAppIdentity {
  serverName: string;
  containerName: string;
  image: string;
  tag: string;
}

/**
 * What a simulated container runs: a real HTTP server answering every GET with its version. A tag
 * containing `broken` answers 500; one containing `slow` answers 503 until `slowReadyMs` after the start.
 */
export class ContainerApp {
  private server: Server | null = null;
  private startedAt = 0;

  constructor(
    private readonly identity: ContainerAppIdentity,
    private readonly slowReadyMs: number,
    private readonly onLog: (line: string) => void,
  ) {}

  /** Listens on `address:port` (0 for any free port); rejects with the bind error (EADDRINUSE). */
  listen(address: string, port: number): Promise<number> {
    const server = createServer((request, response) => this.answer(request, response));
    server.keepAliveTimeout = 2000;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: address, port, exclusive: true }, () => {
        server.off('error', reject);
        this.server = server;
        this.startedAt = Date.now();
        const bound = server.address();
        const boundPort = typeof bound === 'object' && bound !== null ? bound.port : port;
        this.onLog(`listening on ${address}:${boundPort}`);
        resolve(boundPort);
      });
    });
  }

  /** Stops listening and drops open connections; resolves once the port is free again. */
  close(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return Promise.resolve();
    return new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  private answer(request: IncomingMessage, response: ServerResponse): void {
    const { serverName, containerName, image, tag } = this.identity;
    const status = this.status();
    const body = JSON.stringify({
      server: serverName,
      container: containerName,
      image: `${image}:${tag}`,
      version: tag,
      status: status === 200 ? 'ok' : status === 503 ? 'starting' : 'broken',
    });
    this.onLog(`${request.method ?? 'GET'} ${request.url ?? '/'} ${status}`);
    response.writeHead(status, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
    });
    response.end(request.method === 'HEAD' ? undefined : body);
  }

  private status(): number {
    const { tag } = this.identity;
    if (tag.includes('broken')) return 500;
    if (tag.includes('slow') && Date.now() - this.startedAt < this.slowReadyMs) return 503;
    return 200;
  }
}
