import type { Socket } from 'socket.io-client';
import type { Stack } from '../test/e2e/support/stack';

export interface RolloutSettings {
  batchSize: number;
  batchSizeIsPercentage: boolean;
  order: 'stop-first' | 'start-first';
}

export interface RolloutRun {
  deploymentId: number;
  durationMs: number;
  status: string;
  failureReason: string | null;
  /** The servers of each batch, in order. */
  batches: number[][];
}

/** The benchmark's checks: no wait between batches, health polled every 20 ms. */
export const FAST = { waitInterval: 0, healthCheckInterval: 0.02, maxHealthCheckRetries: 1500 };

/**
 * Deploys `tag` and times it from the rolling-update request to the `deployment.finished` event, as a user
 * of the API sees it (queue pick-up and events included).
 */
export async function rollOutTimed(
  stack: Stack,
  applicationId: number,
  tag: string,
  settings: RolloutSettings & { minimumHealthyInstances?: number },
): Promise<RolloutRun> {
  const created = await stack.call<{ id: number }>('POST', '/api/deployments', { applicationId, tag });
  const socket = await stack.socket();
  try {
    const ack = await new Promise<{ ok: boolean; error?: string }>((resolve) =>
      socket.emit('subscribe', { deploymentId: created.id }, resolve),
    );
    if (!ack.ok) throw new Error(`subscribe refused: ${ack.error}`);
    const finished = finishedEvent(socket);
    const started = performance.now();
    await stack.call('POST', `/api/deployments/${created.id}/rolling-update`, { ...FAST, ...settings });
    const deployment = await finished;
    const durationMs = performance.now() - started;
    const batches = await stack.call<{ serverIds: number[] }[]>(
      'GET',
      `/api/deployments/${created.id}/batches`,
    );
    return {
      deploymentId: created.id,
      durationMs,
      status: String(deployment.status),
      failureReason: (deployment.failureReason as string | null) ?? null,
      batches: batches.map((b) => b.serverIds),
    };
  } finally {
    socket.disconnect();
  }
}

function finishedEvent(socket: Socket, timeoutMs = 30 * 60_000): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no deployment.finished in time')), timeoutMs);
    socket.once('deployment.finished', (payload: Record<string, unknown>) => {
      clearTimeout(timer);
      resolve(payload);
    });
  });
}
