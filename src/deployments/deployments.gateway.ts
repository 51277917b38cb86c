import { Logger } from '@nestjs/common';
import {
  ConnectedSocket,
  MessageBody,
  type OnGatewayInit,
  SubscribeMessage,
  WebSocketGateway,
} from '@nestjs/websockets';
import type { Namespace, Socket } from 'socket.io';
import { TokenService } from '../auth/token.service';
import { DeploymentSubscriptionAccess } from '../infra/events/deployment-subscription-access';
import { DEPLOYMENTS_NAMESPACE, deploymentRoom } from '../infra/events/socket-io.constants';

export type SubscribeAck = { ok: true } | { ok: false; error: string };

interface SocketData {
  teamId: number;
}

const INVALID_PAYLOAD = 'Expected { "deploymentId": <positive integer> }';
const NOT_FOUND = 'Deployment not found';

function deploymentIdOf(body: unknown): number | null {
  const id = (body as { deploymentId?: unknown } | null)?.deploymentId;
  return typeof id === 'number' && Number.isSafeInteger(id) && id > 0 ? id : null;
}

/**
 * Live progress on the API's port. The worker publishes through Redis (RedisEmitterRolloutEvents) and
 * the socket.io Redis adapter (RedisIoAdapter) delivers to the room `deployment:<id>` on every API
 * process; this gateway only authenticates sockets and lets them join rooms of their team's deployments.
 */
@WebSocketGateway({ namespace: DEPLOYMENTS_NAMESPACE, cors: { origin: true } })
export class DeploymentsGateway implements OnGatewayInit<Namespace> {
  private readonly logger = new Logger(DeploymentsGateway.name);

  constructor(
    private readonly tokens: TokenService,
    private readonly access: DeploymentSubscriptionAccess,
  ) {}

  afterInit(namespace: Namespace): void {
    namespace.use((socket, next) => {
      this.authenticate(socket).then(
        (ok) => next(ok ? undefined : new Error('Unauthorized')),
        (error: unknown) => {
          this.logger.error({ err: error }, 'socket authentication failed');
          next(new Error('Unauthorized'));
        },
      );
    });
  }

  @SubscribeMessage('subscribe')
  async subscribe(@ConnectedSocket() socket: Socket, @MessageBody() body: unknown): Promise<SubscribeAck> {
    const deploymentId = deploymentIdOf(body);
    if (deploymentId === null) return { ok: false, error: INVALID_PAYLOAD };
    const { teamId } = socket.data as SocketData;
    try {
      if (!(await this.access.canSubscribe(teamId, deploymentId))) return { ok: false, error: NOT_FOUND };
    } catch (error) {
      this.logger.error({ err: error, deploymentId }, 'subscription check failed');
      return { ok: false, error: 'Internal server error' };
    }
    await socket.join(deploymentRoom(deploymentId));
    return { ok: true };
  }

  @SubscribeMessage('unsubscribe')
  async unsubscribe(@ConnectedSocket() socket: Socket, @MessageBody() body: unknown): Promise<SubscribeAck> {
    const deploymentId = deploymentIdOf(body);
    if (deploymentId === null) return { ok: false, error: INVALID_PAYLOAD };
    await socket.leave(deploymentRoom(deploymentId));
    return { ok: true };
  }

  private async authenticate(socket: Socket): Promise<boolean> {
    const token: unknown = (socket.handshake.auth as { token?: unknown } | undefined)?.token;
    if (typeof token !== 'string' || token === '') return false;
    const identity = await this.tokens.verify(token);
    if (!identity) return false;
    (socket.data as SocketData).teamId = identity.teamId;
    return true;
  }
}
