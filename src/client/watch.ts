import { io, type Socket } from 'socket.io-client';
import type { ApiClient } from './api-client';
import type { BatchJson, DeploymentJson, InstanceUpdateJson, TimelineEventJson } from './api-types';
import { CliError, EXIT, UnreachableError } from './errors';
import { RolloutProgress } from './progress';

type LiveEvent =
  | { name: 'deployment'; data: DeploymentJson }
  | { name: 'batch'; data: BatchJson }
  | { name: 'instance'; data: InstanceUpdateJson };

export interface WatchOptions {
  api: ApiClient;
  deploymentId: number;
  /** Called after every change of the progress. */
  onProgress: (progress: RolloutProgress) => void;
  interrupt?: AbortSignal;
  connectTimeoutMs?: number;
  /** How often the deployment is also read over REST, so a lost live connection cannot stall the watch. */
  pollMs?: number;
}

export interface WatchResult {
  /** The deployment as the API answers it once it reached a final status. */
  deployment: DeploymentJson;
  progress: RolloutProgress;
}

const SUBSCRIBE_TIMEOUT_MS = 10_000;
/** Consecutive failed polls (with the live connection down too) before the watch gives up. */
const MAX_FAILED_POLLS = 6;

/** socket.io's URL and path for an API that may live under a path prefix (`https://ops.example/rollout`). */
function socketAddress(apiUrl: string): { url: string; path: string } {
  const url = new URL(apiUrl);
  const prefix = url.pathname.replace(/\/+$/, '');
  return { url: `${url.origin}/deployments`, path: `${prefix}/socket.io` };
}

function connect(api: ApiClient, timeoutMs: number): Promise<Socket> {
  const { url, path } = socketAddress(api.url);
  const socket = io(url, {
    path,
    auth: { token: api.connection.token },
    transports: ['websocket'],
    timeout: timeoutMs,
    reconnectionDelayMax: 2000,
  });
  return new Promise((resolve, reject) => {
    socket.once('connect', () => {
      socket.off('connect_error');
      resolve(socket);
    });
    socket.once('connect_error', (error) => {
      // Refused by the server's middleware (a bad token): socket.io does not retry. Otherwise the
      // transport failed; the first connection gives up rather than retrying in silence.
      const refused = !socket.active;
      socket.close();
      reject(
        refused
          ? new CliError(`the API at ${api.url} refused the live connection: ${error.message}`, EXIT.api)
          : new UnreachableError(`cannot open the live connection to ${url}: ${error.message}`),
      );
    });
  });
}

async function subscribe(socket: Socket, deploymentId: number): Promise<void> {
  let ack: { ok: boolean; error?: string };
  try {
    ack = (await socket
      .timeout(SUBSCRIBE_TIMEOUT_MS)
      .emitWithAck('subscribe', { deploymentId })) as typeof ack;
  } catch {
    throw new UnreachableError(`the API did not acknowledge watching deployment ${deploymentId}`);
  }
  if (!ack.ok)
    throw new CliError(`cannot watch deployment ${deploymentId}: ${ack.error ?? 'refused'}`, EXIT.api);
}

/**
 * Follows a deployment until it reaches a final status: subscribes on socket.io, replays the recorded
 * timeline (`GET …/events`) while live events wait in a buffer, then applies the buffer and every later
 * event; ids seen in the replay are skipped. After a reconnect it subscribes again and replays what it
 * missed. Resolves with the final deployment, whatever its status.
 */
export async function watchDeployment(options: WatchOptions): Promise<WatchResult> {
  const { api, deploymentId, onProgress, interrupt } = options;
  const progress = new RolloutProgress(deploymentId);
  const base = `/api/deployments/${deploymentId}`;
  if (interrupt?.aborted) throw new CliError('interrupted', EXIT.interrupted);
  const socket = await connect(api, options.connectTimeoutMs ?? 10_000);

  let buffer: LiveEvent[] | null = [];
  const apply = (event: LiveEvent): boolean => {
    switch (event.name) {
      case 'deployment':
        return progress.applyDeployment(event.data);
      case 'batch':
        return progress.applyBatch(event.data);
      case 'instance':
        return progress.applyEvent(event.data);
    }
  };

  let settle: { resolve: () => void; reject: (error: unknown) => void } | undefined;
  const ended = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
  // Rejected possibly before it is awaited (a failure while subscribing); the await below still throws.
  ended.catch(() => undefined);
  const changed = () => {
    onProgress(progress);
    if (progress.finished) settle?.resolve();
  };
  const receive = (event: LiveEvent) => {
    if (buffer) buffer.push(event);
    else if (apply(event)) changed();
  };
  socket.on('deployment.updated', (data: DeploymentJson) => receive({ name: 'deployment', data }));
  socket.on('deployment.finished', (data: DeploymentJson) => receive({ name: 'deployment', data }));
  socket.on('batch.updated', (data: BatchJson) => receive({ name: 'batch', data }));
  socket.on('instance.updated', (data: InstanceUpdateJson) => receive({ name: 'instance', data }));

  const replay = async () => {
    const [deployment, batches, events] = await Promise.all([
      api.get<DeploymentJson>(base),
      api.get<BatchJson[]>(`${base}/batches`),
      api.get<TimelineEventJson[]>(`${base}/events?afterId=${progress.lastEventId}`),
    ]);
    progress.applyDeployment(deployment);
    for (const batch of batches) progress.applyBatch(batch);
    for (const event of events) progress.applyEvent(event);
  };
  const catchUp = async () => {
    buffer ??= [];
    try {
      await replay();
    } finally {
      const waiting = buffer;
      buffer = null;
      for (const event of waiting) apply(event);
    }
    changed();
  };

  socket.io.on('reconnect', () => {
    // The server forgot this connection's subscription: subscribe again and replay what was missed.
    buffer ??= [];
    void subscribe(socket, deploymentId)
      .then(catchUp)
      .catch((error: unknown) => settle?.reject(error));
  });
  socket.on('disconnect', (reason) => {
    if (reason === 'io server disconnect') {
      settle?.reject(
        new CliError(
          'the API closed the live connection (was the token revoked or did it expire?)',
          EXIT.api,
        ),
      );
    }
  });
  const onInterrupt = () => settle?.reject(new CliError('interrupted', EXIT.interrupted));
  interrupt?.addEventListener('abort', onInterrupt);

  let failedPolls = 0;
  const poll = setInterval(() => {
    // A safety net beside the live events: never awaited by anyone, so its failures are counted here.
    void api.get<DeploymentJson>(base).then(
      (deployment) => {
        failedPolls = 0;
        if (progress.applyDeployment(deployment)) changed();
      },
      (error: unknown) => {
        if (error instanceof CliError && error.exitCode === EXIT.api) settle?.reject(error);
        else if (++failedPolls >= MAX_FAILED_POLLS && !socket.connected) settle?.reject(error);
      },
    );
  }, options.pollMs ?? 5000);

  try {
    await subscribe(socket, deploymentId);
    await catchUp();
    await ended;
    // The final word comes from the API; the last events fill in the frame.
    const deployment = await api.get<DeploymentJson>(base);
    await replay();
    onProgress(progress);
    return { deployment, progress };
  } finally {
    clearInterval(poll);
    interrupt?.removeEventListener('abort', onInterrupt);
    socket.close();
  }
}
