import { Injectable, type NestMiddleware } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiMetrics } from './api-metrics';

/** The parts of Express' request this reads (express ships no types and @types/express is not installed). */
interface RoutedRequest extends IncomingMessage {
  baseUrl?: string;
  route?: { path?: unknown };
}

/** Times every HTTP request; the route label is the matched pattern (`/api/servers/:id`), never the raw URL. */
@Injectable()
export class HttpMetricsMiddleware implements NestMiddleware {
  constructor(private readonly metrics: ApiMetrics) {}

  use(req: RoutedRequest, res: ServerResponse, next: () => void): void {
    const started = process.hrtime.bigint();
    // Mounted as a route itself, this middleware is `req.route` until a controller's route matches.
    const mountRoute = req.route;
    res.once('finish', () => {
      const routePath = req.route !== mountRoute ? req.route?.path : undefined;
      const route = typeof routePath === 'string' ? `${req.baseUrl ?? ''}${routePath}` : 'unmatched';
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      this.metrics.observeRequest(req.method ?? 'UNKNOWN', route, res.statusCode, seconds);
    });
    next();
  }
}
