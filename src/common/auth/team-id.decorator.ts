import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import { requireAuth, type AuthenticatedRequest } from './request-auth';

/** The id of the team whose token authenticated the request; a request without one is a 500, never a query. */
export const TeamId = createParamDecorator((_data: unknown, context: ExecutionContext): number => {
  return requireAuth(context.switchToHttp().getRequest<AuthenticatedRequest>()).teamId;
});
