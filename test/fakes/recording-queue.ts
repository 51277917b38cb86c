import { DeploymentQueue } from '../../src/deployments/deployment-queue.port';

/** Records every enqueued deployment id; `failNext()` makes the next enqueue reject. */
export class RecordingQueue extends DeploymentQueue {
  readonly enqueued: number[] = [];
  private failure: Error | null = null;

  failNext(error = new Error('queue unavailable')): void {
    this.failure = error;
  }

  async enqueue(deploymentId: number): Promise<void> {
    if (this.failure) {
      const error = this.failure;
      this.failure = null;
      throw error;
    }
    this.enqueued.push(deploymentId);
  }

  clear(): void {
    this.enqueued.length = 0;
  }
}
