import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuditService } from '../../audit/audit.service';
import { scopeAllows } from '../../auth/token-scope';
import { TokenService } from '../../auth/token.service';
import { ForbiddenError, UnauthorizedError } from '../errors';
import { ACCESS_METADATA, type AccessDecision } from './access.decorators';
import { AuthFailureLimiter } from './auth-failure-limiter';
import type { AuthenticatedRequest, RequestAuth } from './request-auth';

const BEARER = /^Bearer ([\x21-\x7e]{1,512})$/;
const READ_METHODS = new Set(['GET', 'HEAD']);

/** A handler was registered without `@Public()` or `@RequireScope()`: a programming error, answered 500. */
export class MissingAccessDecisionError extends Error {
  constructor(handler: string) {
    super(`${handler} has no access decision: mark it @Public() or @RequireScope(...)`);
    this.name = 'MissingAccessDecisionError';
  }
}

interface FinishingResponse {
  statusCode: number;
  once(event: 'finish', listener: () => void): unknown;
}

/** The address a request came from, as the socket saw it (no proxy header is trusted). */
export function clientAddress(request: Pick<AuthenticatedRequest, 'socket'>): string {
  return request.socket.remoteAddress ?? 'unknown';
}

/**
 * Deny by default. The decision comes from the matched handler's metadata, never from the URL's text,
 * so no spelling of a path (case, encodings, dot segments, absolute form) can reach a handler without it.
 * Every state-changing request that presents a valid token is audited, whatever its outcome.
 */
@Injectable()
export class AccessGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly tokens: TokenService,
    private readonly failures: AuthFailureLimiter,
    private readonly audit: AuditService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    // socket.io authenticates its own handshake (DeploymentsGateway).
    if (context.getType() !== 'http') return true;
    const decision = this.reflector.getAllAndOverride<AccessDecision | undefined>(ACCESS_METADATA, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (!decision)
      throw new MissingAccessDecisionError(`${context.getClass().name}.${context.getHandler().name}`);
    if (decision.kind === 'public') return true;

    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const auth = await this.authenticate(request);
    request.auth = auth;
    if (!READ_METHODS.has(request.method)) {
      this.auditWhenAnswered(request, context.switchToHttp().getResponse<FinishingResponse>(), auth);
    }
    const readOnly = auth.scope === 'read' && !READ_METHODS.has(request.method);
    if (readOnly || !scopeAllows(auth.scope, decision.scope)) {
      throw new ForbiddenError(
        `This token's scope "${auth.scope}" does not allow this request (needs "${decision.scope}")`,
      );
    }
    return true;
  }

  private async authenticate(request: AuthenticatedRequest): Promise<RequestAuth> {
    const header = request.headers.authorization;
    if (header === undefined) {
      throw new UnauthorizedError('Missing Authorization header; expected "Bearer <token>"');
    }
    const token = typeof header === 'string' ? BEARER.exec(header)?.[1] : undefined;
    const identity = token === undefined ? null : await this.tokens.verify(token);
    if (!identity) {
      await this.failures.fail(clientAddress(request));
      throw new UnauthorizedError(
        token !== undefined
          ? 'Invalid, expired or revoked API token'
          : 'Malformed Authorization header; expected "Bearer <token>"',
      );
    }
    return identity;
  }

  private auditWhenAnswered(
    request: AuthenticatedRequest,
    response: FinishingResponse,
    auth: RequestAuth,
  ): void {
    response.once('finish', () => {
      const paramId = Number(request.params?.id);
      this.audit.record({
        teamId: auth.teamId,
        tokenId: auth.tokenId,
        method: request.method,
        route: typeof request.route?.path === 'string' ? request.route.path : 'unknown',
        targetId: Number.isSafeInteger(paramId) && paramId > 0 ? paramId : (request.auditTargetId ?? null),
        statusCode: response.statusCode,
      });
    });
  }
}
