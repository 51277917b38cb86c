import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { TokenService } from '../../auth/token.service';
import { UnauthorizedError } from '../errors';

/** A request that passed the guard carries the team its token belongs to. */
export interface AuthenticatedRequest {
  url: string;
  headers: { authorization?: string };
  teamId: number;
}

const BEARER = /^Bearer ([A-Za-z0-9._~+/=-]+)$/;

/** Protects every `/api/*` route (`/health`, `/metrics` and the docs stay open); 401 otherwise. */
@Injectable()
export class BearerAuthGuard implements CanActivate {
  constructor(private readonly tokens: TokenService) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    if (!isApiPath(request.url.split('?')[0])) return true;
    const match = BEARER.exec(request.headers.authorization ?? '');
    if (!match)
      throw new UnauthorizedError('Missing or malformed Authorization header; expected "Bearer <token>"');
    const identity = await this.tokens.verify(match[1]);
    if (!identity) throw new UnauthorizedError('Invalid API token');
    request.teamId = identity.teamId;
    return true;
  }
}

export function isApiPath(path: string): boolean {
  return path === '/api' || path.startsWith('/api/');
}
