import { Controller, Get, Header, Res, UseGuards } from '@nestjs/common';
import { Public } from '../../common/auth/access.decorators';
import { MetricsTokenGuard } from './metrics-token.guard';
import { ApiExcludeController } from '@nestjs/swagger';
import type { ServerResponse } from 'node:http';
import { ApiMetrics } from './api-metrics';

/** Prometheus scrape target, outside `/api`: public, or behind METRICS_TOKEN when that is set. */
@ApiExcludeController()
@Public()
@UseGuards(MetricsTokenGuard)
@Controller('metrics')
export class MetricsController {
  constructor(private readonly metrics: ApiMetrics) {}

  @Get()
  @Header('Cache-Control', 'no-store')
  async scrape(@Res({ passthrough: true }) res: ServerResponse): Promise<string> {
    res.setHeader('Content-Type', this.metrics.contentType);
    return this.metrics.render();
  }
}
