import { Controller, Get, Optional, Res, ServiceUnavailableException } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { Public } from '../../../common/auth/access.decorators';
import {
  HealthCheck,
  HealthCheckService,
  type HealthCheckResult,
  TypeOrmHealthIndicator,
} from '@nestjs/terminus';
import type { ServerResponse } from 'node:http';
import { RedisHealthIndicator } from './redis.health';

/**
 * Readiness of the API: Postgres answers, and Redis when the application uses it (the answer lists what was
 * checked). Outside `/api`, no token (see configureHttpApp).
 */
@ApiExcludeController()
@Public()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly database: TypeOrmHealthIndicator,
    @Optional() private readonly redis?: RedisHealthIndicator,
  ) {}

  @Get()
  @HealthCheck()
  async check(@Res({ passthrough: true }) res: ServerResponse): Promise<HealthCheckResult> {
    try {
      const redis = this.redis;
      return await this.health.check([
        () => this.database.pingCheck('database', { timeout: 1_500 }),
        ...(redis ? [() => redis.ping('redis')] : []),
      ]);
    } catch (error) {
      // Answer terminus' own body (which check is down) rather than the generic error body.
      if (!(error instanceof ServiceUnavailableException)) throw error;
      res.statusCode = 503;
      return error.getResponse() as HealthCheckResult;
    }
  }
}
