import type { Batch, Deployment, InstanceUpdate, TimelineEvent } from './types';

/**
 * What the rollout view shows, built only from the replayed timeline and the socket.io events. Every
 * event has an id, increasing in the order events were recorded; an id already applied (replayed, then
 * delivered live, or delivered twice around a reconnect) is ignored.
 */
export interface LiveState {
  deployment: Deployment | null;
  /** By batch number. */
  batches: Record<number, Batch>;
  /** Oldest first. */
  events: TimelineEvent[];
  /** The highest event id applied: a replay asks for what came after it. */
  lastEventId: number;
  /** The latest phase of each server, by server id. */
  servers: Record<number, ServerPhase>;
}

export interface ServerPhase {
  eventId: number;
  phase: string;
  message: string;
  batchNumber: number | null;
}

export function emptyLiveState(): LiveState {
  return { deployment: null, batches: {}, events: [], lastEventId: 0, servers: {} };
}

function insertionIndex(events: readonly TimelineEvent[], id: number): number | null {
  let index = events.length;
  while (index > 0) {
    const before = events[index - 1];
    if (!before || before.id < id) break;
    if (before.id === id) return null;
    index--;
  }
  return index;
}

/** Applies one timeline event in id order; returns false for one already applied. */
export function applyTimelineEvent(state: LiveState, event: TimelineEvent): boolean {
  const index = insertionIndex(state.events, event.id);
  if (index === null) return false;
  state.events.splice(index, 0, event);
  state.lastEventId = Math.max(state.lastEventId, event.id);
  if (event.serverId !== null) {
    const current = state.servers[event.serverId];
    if (!current || current.eventId < event.id) {
      state.servers[event.serverId] = {
        eventId: event.id,
        phase: event.phase,
        message: event.message,
        batchNumber: event.batchNumber,
      };
    }
  }
  return true;
}

/** An `instance.updated` payload as a timeline event (it has no time of its own: it is happening now). */
export function timelineEventOf(update: InstanceUpdate, receivedAt: Date): TimelineEvent | null {
  if (typeof update.id !== 'number') return null;
  return {
    id: update.id,
    at: receivedAt.toISOString(),
    batchNumber: update.batchNumber,
    serverId: update.serverId,
    phase: update.phase,
    message: update.message,
  };
}

export function applyDeployment(state: LiveState, deployment: Deployment): void {
  state.deployment = deployment;
}

export function applyBatch(state: LiveState, batch: Batch): void {
  state.batches[batch.batchNumber] = batch;
}

export function batchesInOrder(state: LiveState): Batch[] {
  return Object.values(state.batches).sort((a, b) => a.batchNumber - b.batchNumber);
}
