import { io, type Socket } from 'socket.io-client';
import type { BatchData, DeploymentData, InstanceData, LiveEvent } from './live-view';

type Listener = (event: LiveEvent) => void;

/**
 * One socket.io connection to `/deployments` for the whole demo. It watches one deployment at a time and
 * hands its events to a listener; after a reconnect it subscribes again.
 */
export class DeploymentWatch {
  private watched: { id: number; listener: Listener } | null = null;

  private constructor(private readonly socket: Socket) {
    socket.on('deployment.updated', (data: DeploymentData) =>
      this.emit({ name: 'deployment.updated', data }),
    );
    socket.on('deployment.finished', (data: DeploymentData) =>
      this.emit({ name: 'deployment.finished', data }),
    );
    socket.on('batch.updated', (data: BatchData) => this.emit({ name: 'batch.updated', data }));
    socket.on('instance.updated', (data: InstanceData) => this.emit({ name: 'instance.updated', data }));
    socket.io.on('reconnect', () => {
      // The server forgot this connection's rooms; a missed event is made up by the final poll.
      if (this.watched) void this.subscribe(this.watched.id).catch(() => undefined);
    });
  }

  static connect(url: string, token: string, timeoutMs = 10_000): Promise<DeploymentWatch> {
    const socket = io(`${url}/deployments`, { auth: { token }, transports: ['websocket'] });
    return new Promise((done, fail) => {
      const timer = setTimeout(() => {
        socket.close();
        fail(new Error(`socket.io did not connect to ${url}/deployments within ${timeoutMs / 1000} s`));
      }, timeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        done(new DeploymentWatch(socket));
      });
      socket.once('connect_error', (error) => {
        clearTimeout(timer);
        socket.close();
        fail(new Error(`socket.io refused the connection: ${error.message}`));
      });
    });
  }

  /** Subscribes (acknowledged by the server) and hands every later event to `listener`. */
  async watch(deploymentId: number, listener: Listener): Promise<void> {
    this.watched = { id: deploymentId, listener };
    await this.subscribe(deploymentId);
  }

  async unwatch(): Promise<void> {
    const watched = this.watched;
    this.watched = null;
    if (watched && this.socket.connected) {
      await this.socket.timeout(5000).emitWithAck('unsubscribe', { deploymentId: watched.id });
    }
  }

  close(): void {
    this.watched = null;
    this.socket.close();
  }

  private async subscribe(deploymentId: number): Promise<void> {
    const ack = (await this.socket.timeout(5000).emitWithAck('subscribe', { deploymentId })) as {
      ok: boolean;
      error?: string;
    };
    if (!ack.ok) throw new Error(`could not watch deployment ${deploymentId}: ${ack.error ?? 'refused'}`);
  }

  private emit(event: LiveEvent): void {
    this.watched?.listener(event);
  }
}
