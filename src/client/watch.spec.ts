import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';
import { ApiClient } from './api-client';
import type { BatchJson, DeploymentJson, TimelineEventJson } from './api-types';
import { CliError, EXIT } from './errors';
import { watchDeployment } from './watch';

const TOKEN = `rlt_${'w'.repeat(43)}`;

function deployment(status: string, overrides: Partial<DeploymentJson> = {}): DeploymentJson {
  return {
    id: 7,
    applicationId: 1,
    status,
    image: 'registry.test/shop',
    tag: 'v2',
    previousImage: 'registry.test/shop',
    previousTag: 'v1',
    totalBatches: 1,
    completedBatches: status === 'completed' ? 1 : 0,
    failedBatches: 0,
    failureReason: null,
    createdAt: '2025-01-01T10:00:00.000Z',
    startedAt: '2025-01-01T10:00:01.000Z',
    completedAt: null,
    ...overrides,
  };
}

function event(id: number, serverId: number, phase: string): TimelineEventJson {
  return { id, at: '2025-01-01T10:00:02.000Z', batchNumber: 1, serverId, phase, message: phase };
}

/**
 * A scripted API on loopback: REST reads of deployment 7 and a socket.io `/deployments` namespace. What
 * happens after a subscription is up to the test (`onSubscribed`); `replayDelayMs` holds the events answer
 * back, so live events can arrive before the replay.
 */
class ScriptedApi {
  readonly log: string[] = [];
  state = deployment('in_progress');
  batches: BatchJson[] = [
    { batchNumber: 1, totalBatches: 1, serverIds: [1, 2], status: 'in_progress', failureReason: null },
  ];
  recorded: TimelineEventJson[] = [];
  replayDelayMs = 0;
  onSubscribed: (emit: (name: string, payload: object) => void) => void = () => undefined;
  /** Called once the events (replay) answer has been sent. */
  onReplayed: () => void = () => undefined;
  private readonly http: HttpServer;
  private readonly io: Server;

  constructor() {
    this.http = createServer((request, response) => {
      const url = new URL(request.url ?? '/', 'http://x');
      this.log.push(`GET ${url.pathname}${url.search}`);
      const send = (body: unknown) => {
        response.writeHead(200, { 'Content-Type': 'application/json' });
        response.end(JSON.stringify(body));
      };
      if (url.pathname === '/api/deployments/7') return send(this.state);
      if (url.pathname === '/api/deployments/7/batches') return send(this.batches);
      if (url.pathname === '/api/deployments/7/events') {
        const after = Number(url.searchParams.get('afterId') ?? 0);
        const answer = this.recorded.filter((recorded) => recorded.id > after);
        setTimeout(() => {
          send(answer);
          this.onReplayed();
        }, this.replayDelayMs);
        return;
      }
      response.writeHead(404).end();
    });
    this.io = new Server(this.http);
    const namespace = this.io.of('/deployments');
    namespace.use((socket, next) =>
      next(
        (socket.handshake.auth as { token?: string }).token === TOKEN ? undefined : new Error('Unauthorized'),
      ),
    );
    namespace.on('connection', (socket) => {
      socket.on('subscribe', (body: { deploymentId: number }, ack: (answer: object) => void) => {
        this.log.push(`subscribe ${body.deploymentId}`);
        void socket.join('d7');
        ack({
          ok: body.deploymentId === 7,
          ...(body.deploymentId === 7 ? {} : { error: 'Deployment not found' }),
        });
        this.onSubscribed((name, payload) => namespace.to('d7').emit(name, payload));
      });
    });
  }

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.http.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.http.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await this.io.close();
  }

  /** Records an event and sends it live, as the API does. */
  happen(emit: (name: string, payload: object) => void, recorded: TimelineEventJson): void {
    this.recorded.push(recorded);
    emit('instance.updated', { ...recorded, deploymentId: 7 });
  }

  finish(
    emit: (name: string, payload: object) => void,
    status: string,
    failureReason: string | null = null,
  ): void {
    this.state = deployment(status, { failureReason, completedAt: '2025-01-01T10:00:05.000Z' });
    this.batches = this.batches.map((batch) => ({
      ...batch,
      status: status === 'completed' ? 'completed' : 'rolled_back',
    }));
    emit('batch.updated', this.batches[0] ?? {});
    emit('deployment.finished', this.state);
  }
}

describe('watching a deployment', () => {
  let api: ScriptedApi;
  let url: string;
  beforeEach(async () => {
    api = new ScriptedApi();
    url = await api.start();
  });
  afterEach(() => api.stop());

  const watch = (token = TOKEN) => {
    const phases: string[] = [];
    const result = watchDeployment({
      api: new ApiClient({ url, token }),
      deploymentId: 7,
      pollMs: 60_000,
      onProgress: (progress) =>
        phases.push([...progress.servers].map(([id, s]) => `${id}:${s.phase}`).join(' ')),
    });
    return { result, phases };
  };

  it('subscribes, replays the recorded timeline, then follows live events to the final status', async () => {
    api.recorded = [event(1, 1, 'pulling'), event(2, 2, 'pulling')];
    api.onSubscribed = (emit) => {
      api.onReplayed = () => {
        api.onReplayed = () => undefined;
        // The API also re-sends an event the replay already had: it counts once.
        emit('instance.updated', { ...event(2, 2, 'pulling'), deploymentId: 7 });
        api.happen(emit, event(3, 1, 'in_rotation'));
        api.happen(emit, event(4, 2, 'in_rotation'));
        api.finish(emit, 'completed');
      };
    };
    const { result, phases } = watch();
    const { deployment: final, progress } = await result;
    expect(final.status).toBe('completed');
    expect(progress.lastEventId).toBe(4);
    expect(phases.at(-1)).toBe('1:in_rotation 2:in_rotation');
    // Subscribed before the replay: nothing that happened in between is lost.
    expect(api.log.indexOf('subscribe 7')).toBeLessThan(
      api.log.indexOf('GET /api/deployments/7/events?afterId=0'),
    );
  });

  it('holds live events that arrive during the replay and applies them after it, each once', async () => {
    api.replayDelayMs = 200;
    api.recorded = [event(1, 1, 'pulling')];
    api.onSubscribed = (emit) => {
      // Happens while the replay is still on its way: the replay will contain it too.
      api.happen(emit, event(2, 1, 'starting'));
      setTimeout(() => {
        api.happen(emit, event(3, 1, 'unhealthy'));
        api.finish(emit, 'rolled_back', 'web-1: health check answered HTTP 500');
      }, 400);
    };
    const { deployment: final, progress } = await watch().result;
    expect(final).toMatchObject({
      status: 'rolled_back',
      failureReason: 'web-1: health check answered HTTP 500',
    });
    expect(progress.servers.get(1)?.phase).toBe('unhealthy');
    expect(progress.batches.get(1)?.status).toBe('rolled_back');
  });

  it('ends at once when the deployment is already over', async () => {
    api.state = deployment('cancelled');
    const { deployment: final } = await watch().result;
    expect(final.status).toBe('cancelled');
  });

  it('reports a refused live connection as an API error', async () => {
    const refused = watch('rlt_wrong').result;
    await expect(refused).rejects.toBeInstanceOf(CliError);
    await expect(refused).rejects.toMatchObject({
      exitCode: EXIT.api,
      message: `the API at ${url} refused the live connection: Unauthorized`,
    });
  });
});
