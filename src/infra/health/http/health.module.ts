import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { RedisClientModule } from '../../queue/redis-client.module';
import { HealthController } from './health.controller';
import { RedisHealthIndicator } from './redis.health';

/** `GET /health`. Needs DatabaseModule's connection in the application. */
@Module({
  imports: [TerminusModule.forRoot({ errorLogStyle: 'json' }), RedisClientModule],
  controllers: [HealthController],
  providers: [RedisHealthIndicator],
})
export class HealthModule {}
