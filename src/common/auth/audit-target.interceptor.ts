import { type CallHandler, type ExecutionContext, Injectable, type NestInterceptor } from '@nestjs/common';
import { type Observable, tap } from 'rxjs';
import type { AuthenticatedRequest } from './request-auth';

/** Notes the id a state-changing handler created or answered with, for the audit entry. */
@Injectable()
export class AuditTargetInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    return next.handle().pipe(
      tap((body: unknown) => {
        const id = (body as { id?: unknown } | null | undefined)?.id;
        if (typeof id === 'number' && Number.isSafeInteger(id)) request.auditTargetId = id;
      }),
    );
  }
}
