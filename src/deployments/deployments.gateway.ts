import { Logger, type OnModuleDestroy } from '@nestjs/common';
import {
  ConnectedSocket,
  MessageBody,
  type OnGatewayInit,
  SubscribeMessage,
  WebSocketGateway,
} from '@nestjs/websockets';
import type { Namespace, Socket } from 'socket.io';
import { TokenService } from '../auth/token.service';
import { AuthFailureLimiter } from '../common/auth/auth-failure-limiter';
import { TooManyRequestsError } from '../common/errors';
import { DeploymentSubscriptionAccess } from './deployment-subscription-access';
import { DEPLOYMENTS_NAMESPACE, deploymentRoom } from './socket-io.constants';

export type SubscribeAck = { ok: true } | { ok: false; error: string };

interface SocketData {
  teamId: number;
  tokenId: number;
}

/** How many deployments one connection may watch at once. */
export const MAX_SUBSCRIPTIONS_PER_SOCKET = 100;
/** How often open connections are checked against revoked and expired tokens. */
export const TOKEN_SWEEP_INTERVAL_MS = 2_000;

const INVALID_PAYLOAD = 'Expected { "deploymentId": <positive integer> }';
const NOT_FOUND = 'Deployment not found';
const TOO_MANY = `At most ${MAX_SUBSCRIPTIONS_PER_SOCKET} deployments per connection; unsubscribe from one first`;

function deploymentIdOf(body: unknown): number | null {
  const id = (body as { deploymentId?: unknown } | null)?.deploymentId;
  return typeof id === 'number' && Number.isSafeInteger(id) && id > 0 ? id : null;
}

/**
 * Live progress on the API's port. The worker publishes through Redis (RedisEmitterRolloutEvents) and
 * the socket.io Redis adapter (RedisIoAdapter) delivers to the room `deployment:<id>` on every API
 * process; this gateway authenticates sockets, lets them join rooms of their team's deployments, and
 * closes the connections of tokens revoked or expired since.
 */
@WebSocketGateway({ namespace: DEPLOYMENTS_NAMESPACE })
export class DeploymentsGateway implements OnGatewayInit<Namespace>, OnModuleDestroy {
  private readonly logger = new Logger(DeploymentsGateway.name);
  private sweep?: NodeJS.Timeout;
  private namespace?: Namespace;

  constructor(
    private readonly tokens: TokenService,
    private readonly access: DeploymentSubscriptionAccess,
    private readonly failures: AuthFailureLimiter,
  ) {}

  afterInit(namespace: Namespace): void {
    this.namespace = namespace;
    namespace.use((socket, next) => {
      this.authenticate(socket).then(
        (ok) => next(ok ? undefined : new Error('Unauthorized')),
        (error: unknown) => {
          if (error instanceof TooManyRequestsError) return next(new Error('Too many failed attempts'));
          this.logger.error({ err: error }, 'socket authentication failed');
          next(new Error('Unauthorized'));
        },
      );
    });
    this.sweep = setInterval(() => void this.disconnectRevoked(namespace), TOKEN_SWEEP_INTERVAL_MS);
    this.sweep.unref();
  }

  /** Sends an event to the subscribers of a deployment connected to this process (in-process worker). */
  publish(deploymentId: number, event: string, payload: object): void {
    this.namespace?.to(deploymentRoom(deploymentId)).emit(event, payload);
  }

  onModuleDestroy(): void {
    clearInterval(this.sweep);
  }

  @SubscribeMessage('subscribe')
  async subscribe(@ConnectedSocket() socket: Socket, @MessageBody() body: unknown): Promise<SubscribeAck> {
    const deploymentId = deploymentIdOf(body);
    if (deploymentId === null) return { ok: false, error: INVALID_PAYLOAD };
    const room = deploymentRoom(deploymentId);
    if (socket.rooms.has(room)) return { ok: true };
    // Every socket is also in a room of its own id.
    if (socket.rooms.size - 1 >= MAX_SUBSCRIPTIONS_PER_SOCKET) return { ok: false, error: TOO_MANY };
    const { teamId } = socket.data as SocketData;
    try {
      if (!(await this.access.canSubscribe(teamId, deploymentId))) return { ok: false, error: NOT_FOUND };
    } catch (error) {
      this.logger.error({ err: error, deploymentId }, 'subscription check failed');
      return { ok: false, error: 'Internal server error' };
    }
    await socket.join(room);
    return { ok: true };
  }

  @SubscribeMessage('unsubscribe')
  async unsubscribe(@ConnectedSocket() socket: Socket, @MessageBody() body: unknown): Promise<SubscribeAck> {
    const deploymentId = deploymentIdOf(body);
    if (deploymentId === null) return { ok: false, error: INVALID_PAYLOAD };
    await socket.leave(deploymentRoom(deploymentId));
    return { ok: true };
  }

  /** Closes this process's connections whose token was revoked or has expired. */
  async disconnectRevoked(namespace: Namespace): Promise<void> {
    const sockets = [...namespace.sockets.values()];
    if (sockets.length === 0) return;
    try {
      const tokenIds = [...new Set(sockets.map((socket) => (socket.data as SocketData).tokenId))];
      const usable = await this.tokens.stillUsable(tokenIds);
      for (const socket of sockets) {
        if (!usable.has((socket.data as SocketData).tokenId)) socket.disconnect(true);
      }
    } catch (error) {
      this.logger.warn({ err: error }, 'could not check open connections against revoked tokens');
    }
  }

  private async authenticate(socket: Socket): Promise<boolean> {
    const token: unknown = (socket.handshake.auth as { token?: unknown } | undefined)?.token;
    if (token === undefined) return false;
    const identity = typeof token === 'string' ? await this.tokens.verify(token) : null;
    if (!identity) {
      await this.failures.fail(socket.handshake.address);
      return false;
    }
    Object.assign(socket.data as SocketData, { teamId: identity.teamId, tokenId: identity.tokenId });
    return true;
  }
}
