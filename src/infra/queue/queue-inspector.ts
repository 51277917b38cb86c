import { InjectQueue } from '@nestjs/bullmq';
import { Injectable } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { DEPLOYMENTS_QUEUE } from './queue.constants';

export const QUEUE_DEPTH_STATES = ['waiting', 'active', 'delayed', 'failed'] as const;
export type QueueDepthState = (typeof QUEUE_DEPTH_STATES)[number];
export type QueueDepth = Record<QueueDepthState, number>;

/** Read-only view of the deployments queue, for /metrics. */
export abstract class QueueInspector {
  abstract depth(): Promise<QueueDepth>;
}

@Injectable()
export class BullmqQueueInspector extends QueueInspector {
  constructor(@InjectQueue(DEPLOYMENTS_QUEUE) private readonly queue: Queue) {
    super();
  }

  async depth(): Promise<QueueDepth> {
    const counts = await this.queue.getJobCounts(...QUEUE_DEPTH_STATES);
    return Object.fromEntries(QUEUE_DEPTH_STATES.map((state) => [state, counts[state] ?? 0])) as QueueDepth;
  }
}
