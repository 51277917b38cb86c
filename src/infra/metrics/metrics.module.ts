import { type MiddlewareConsumer, Module, type NestModule, RequestMethod } from '@nestjs/common';
import { ApiMetrics } from './api-metrics';
import { HttpMetricsMiddleware } from './http-metrics.middleware';
import { MetricsController } from './metrics.controller';
import { MetricsTokenGuard } from './metrics-token.guard';

/**
 * `GET /metrics` of the API. Needs DatabaseModule's connection and a QueueInspector (global, from the
 * queue module the root chose); with Redis (REDIS_CLIENT) it adds the worker processes' metrics.
 */
@Module({
  controllers: [MetricsController],
  providers: [ApiMetrics, HttpMetricsMiddleware, MetricsTokenGuard],
  exports: [ApiMetrics],
})
export class MetricsModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(HttpMetricsMiddleware).forRoutes({ path: '{*path}', method: RequestMethod.ALL });
  }
}
