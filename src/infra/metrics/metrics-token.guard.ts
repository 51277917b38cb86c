import { timingSafeEqual, createHash } from 'node:crypto';
import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { UnauthorizedError } from '../../common/errors';
import { AppConfig } from '../../config/app-config';

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/** `/metrics` is public unless METRICS_TOKEN is set; then it needs `Authorization: Bearer <METRICS_TOKEN>`. */
@Injectable()
export class MetricsTokenGuard implements CanActivate {
  constructor(private readonly config: AppConfig) {}

  canActivate(context: ExecutionContext): boolean {
    const expected = this.config.metricsToken;
    if (expected === null) return true;
    const header = context.switchToHttp().getRequest<{ headers: { authorization?: string } }>()
      .headers.authorization;
    const presented = /^Bearer (\S+)$/.exec(header ?? '')?.[1];
    // Compare digests so the comparison takes the same time whatever the lengths.
    if (presented === undefined || !timingSafeEqual(digest(presented), digest(expected))) {
      throw new UnauthorizedError('GET /metrics needs "Authorization: Bearer <METRICS_TOKEN>"');
    }
    return true;
  }
}
