import { type MiddlewareConsumer, Module, type NestModule, RequestMethod } from '@nestjs/common';
import { QueueModule } from '../queue/queue.module';
import { RedisClientModule } from '../queue/redis-client.module';
import { ApiMetrics } from './api-metrics';
import { HttpMetricsMiddleware } from './http-metrics.middleware';
import { MetricsController } from './metrics.controller';
import { MetricsTokenGuard } from './metrics-token.guard';

/** `GET /metrics` of the API. Needs DatabaseModule's connection in the application. */
@Module({
  imports: [QueueModule, RedisClientModule],
  controllers: [MetricsController],
  providers: [ApiMetrics, HttpMetricsMiddleware, MetricsTokenGuard],
  exports: [ApiMetrics],
})
export class MetricsModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(HttpMetricsMiddleware).forRoutes({ path: '{*path}', method: RequestMethod.ALL });
  }
}
