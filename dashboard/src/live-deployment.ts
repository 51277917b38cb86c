import { io, type Socket } from 'socket.io-client';
import { reactive, ref } from 'vue';
import { ApiError, TOKEN_REFUSED, api } from './api';
import {
  applyBatch,
  applyDeployment,
  applyTimelineEvent,
  emptyLiveState,
  type LiveState,
  timelineEventOf,
} from './live-state';
import { logOut } from './session';
import type { Batch, Deployment, InstanceUpdate } from './types';

export type Connection = 'connecting' | 'live' | 'reconnecting';

type Buffered =
  | { kind: 'deployment'; deployment: Deployment }
  | { kind: 'finished'; deployment: Deployment }
  | { kind: 'batch'; batch: Batch }
  | { kind: 'instance'; update: InstanceUpdate; at: Date };

/**
 * Follows one deployment: subscribes on socket.io first, then replays what the API recorded (the
 * deployment, its batches, its timeline after the last event seen) and only then applies the live
 * events received meanwhile and after, so nothing is missed or shown twice. A reconnect does the same
 * again from the last event id.
 */
export function followDeployment(deploymentId: number, token: string) {
  const state = reactive<LiveState>(emptyLiveState());
  const connection = ref<Connection>('connecting');
  const problem = ref<string | null>(null);
  const historyMissing = ref(false);
  let buffer: Buffered[] | null = [];
  let stopped = false;

  const apply = (item: Buffered) => {
    if (item.kind === 'deployment' || item.kind === 'finished') {
      if (item.deployment.id !== deploymentId) return;
      applyDeployment(state, item.deployment);
      // Deployment-level notes (waits, the end) are recorded but not streamed: take them in once it ends.
      if (item.kind === 'finished') void completeTimeline();
    } else if (item.kind === 'batch') {
      applyBatch(state, item.batch);
    } else if (item.update.deploymentId === deploymentId) {
      const event = timelineEventOf(item.update, item.at);
      if (event) applyTimelineEvent(state, event);
    }
  };
  const receive = (item: Buffered) => {
    if (buffer) buffer.push(item);
    else apply(item);
  };

  // Same origin; long-polling first, upgraded to a WebSocket where the network allows it.
  const socket: Socket = io('/deployments', { auth: { token } });

  const replay = async () => {
    const [deployment, batches] = await Promise.all([
      api.deployment(deploymentId),
      api.batches(deploymentId),
    ]);
    applyDeployment(state, deployment);
    for (const batch of batches) applyBatch(state, batch);
    try {
      for (const event of await api.eventsAfter(deploymentId, state.lastEventId))
        applyTimelineEvent(state, event);
      historyMissing.value = false;
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) historyMissing.value = true;
      else throw error;
    }
  };

  /** Merges the whole recorded timeline; ids already shown are skipped. Best effort: the view stays. */
  const completeTimeline = async () => {
    try {
      for (const event of await api.eventsAfter(deploymentId, 0)) applyTimelineEvent(state, event);
    } catch {
      // The live events already shown stay; only the notes are missing.
    }
  };

  socket.on('connect', () => {
    buffer = [];
    connection.value = 'connecting';
    socket.emit('subscribe', { deploymentId }, (ack: { ok: boolean; error?: string }) => {
      if (stopped) return;
      if (!ack.ok) {
        problem.value = ack.error ?? 'The API refused to follow this deployment.';
        return;
      }
      replay().then(
        () => {
          const received = buffer ?? [];
          buffer = null;
          for (const item of received) apply(item);
          connection.value = 'live';
          problem.value = null;
        },
        (error: unknown) => {
          buffer = null;
          problem.value = error instanceof Error ? error.message : String(error);
        },
      );
    });
  });
  socket.on('disconnect', (reason) => {
    if (stopped) return;
    connection.value = 'reconnecting';
    // The server closes the connection of a revoked token; other causes reconnect by themselves.
    if (reason === 'io server disconnect') {
      api.deployment(deploymentId).then(
        () => socket.connect(),
        () => undefined,
      );
    }
  });
  socket.on('connect_error', (error: Error) => {
    if (error.message === 'Unauthorized') {
      stop();
      logOut(TOKEN_REFUSED);
      return;
    }
    connection.value = 'reconnecting';
    problem.value = `Live updates interrupted: ${error.message}`;
  });
  socket.on('deployment.updated', (deployment: Deployment) => receive({ kind: 'deployment', deployment }));
  socket.on('deployment.finished', (deployment: Deployment) => receive({ kind: 'finished', deployment }));
  socket.on('batch.updated', (batch: Batch) => receive({ kind: 'batch', batch }));
  socket.on('instance.updated', (update: InstanceUpdate) =>
    receive({ kind: 'instance', update, at: new Date() }),
  );

  function stop(): void {
    stopped = true;
    socket.removeAllListeners();
    socket.disconnect();
  }

  return { state, connection, problem, historyMissing, stop };
}
