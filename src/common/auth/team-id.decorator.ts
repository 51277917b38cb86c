import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { AuthenticatedRequest } from './bearer-auth.guard';

/** The id of the team whose token authenticated the request (set by BearerAuthGuard). */
export const TeamId = createParamDecorator((_data: unknown, context: ExecutionContext): number => {
  return context.switchToHttp().getRequest<AuthenticatedRequest>().teamId;
});
