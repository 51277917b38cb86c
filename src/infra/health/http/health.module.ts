import { type DynamicModule, Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { HealthController } from './health.controller';
import { RedisHealthIndicator } from './redis.health';

/**
 * `GET /health`: the database, and Redis when the application uses it (its REDIS_CLIENT is global).
 * Needs DatabaseModule's connection in the application.
 */
@Module({})
export class HealthModule {
  static register(options: { redis: boolean }): DynamicModule {
    return {
      module: HealthModule,
      imports: [TerminusModule.forRoot({ errorLogStyle: 'json' })],
      controllers: [HealthController],
      providers: options.redis ? [RedisHealthIndicator] : [],
    };
  }
}
