import type { IncomingMessage, ServerResponse } from 'node:http';
import { INestApplication, RequestMethod } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import helmet from 'helmet';
import { AccessGuard } from '../auth/access.guard';
import { AuditTargetInterceptor } from '../auth/audit-target.interceptor';
import { AppConfig } from '../../config/app-config';
import { AllExceptionsFilter } from './all-exceptions.filter';
import { errorBody } from './error-body';
import { isOriginAllowed } from './origin-policy';
import { createValidationPipe } from './validation.pipe';

/** Routes served outside `/api`. Whether they need a token is decided by their handlers, as everywhere. */
const UNPREFIXED = ['health', 'health/{*path}', 'metrics'].map((path) => ({
  path,
  method: RequestMethod.ALL,
}));

function refuseForeignOrigins(allowed: readonly string[]) {
  return (request: IncomingMessage, response: ServerResponse, next: () => void): void => {
    if (isOriginAllowed(request, allowed)) return next();
    response.statusCode = 403;
    response.setHeader('Content-Type', 'application/json; charset=utf-8');
    response.end(JSON.stringify(errorBody(403, 'This Origin is not allowed; list it in CORS_ORIGINS')));
  };
}

/**
 * Everything an HTTP app of Rollout needs, shared by main.ts and the tests: security headers, the Origin
 * policy and CORS, the `/api` prefix, the validation pipe, the one exception filter, the deny-by-default
 * guard, the audit hook and the OpenAPI docs at `/docs`.
 */
export function configureHttpApp(app: INestApplication): void {
  const config = app.get(AppConfig);
  const express = app.getHttpAdapter().getInstance() as { disable(setting: string): void };
  express.disable('x-powered-by');
  app.use(helmet());
  app.use(refuseForeignOrigins(config.corsOrigins));
  app.enableCors({
    origin: config.corsOrigins.length > 0 ? [...config.corsOrigins] : false,
    allowedHeaders: ['Authorization', 'Content-Type'],
    maxAge: 600,
  });
  app.setGlobalPrefix('api', { exclude: UNPREFIXED });
  app.useGlobalPipes(createValidationPipe());
  app.useGlobalFilters(new AllExceptionsFilter(app.get(HttpAdapterHost)));
  app.useGlobalGuards(app.get(AccessGuard));
  app.useGlobalInterceptors(new AuditTargetInterceptor());
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Rollout')
      .setDescription('Zero-downtime rolling updates of Docker applications over SSH')
      .addBearerAuth()
      .build(),
  );
  SwaggerModule.setup('docs', app, document);
}
