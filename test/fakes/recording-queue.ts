import { DeploymentQueue } from '../../src/deployments/deployment-queue.port';

/** Records every enqueued deployment id; `failNext()` makes the next enqueue reject. */
export class RecordingQueue extends DeploymentQueue {
  readonly enqueued: number[] = [];
  private failure: Error | null = null;

  failNext(error = new Error('queue unavailable')): void {
    this.failure = error;
  }

  enqueue(deploymentId: number): Promise<void> {
    if (this.failure) {
      const error = this.failure;
      this.failure = null;
      return Promise.reject(error);
    }
    this.enqueued.push(deploymentId);
    return Promise.resolve();
  }

  clear(): void {
    this.enqueued.length = 0;
  }
}
