import { hostname } from 'node:os';

/** Engine tunables that are not part of a deployment's options (set from AppConfig by the module). */
export class RolloutSettings {
  /** Servers of one batch worked on at once. */
  batchConcurrency = 50;
  /** Timeout of one health-check request. */
  healthRequestTimeoutMs = 5000;
  /** How this worker is named in the timeline when it takes a rollout over (`host#pid`). */
  workerId = `${hostname()}#${process.pid}`;
}
