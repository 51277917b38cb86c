import { INestApplication, RequestMethod } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { BearerAuthGuard } from '../auth/bearer-auth.guard';
import { AllExceptionsFilter } from './all-exceptions.filter';
import { createValidationPipe } from './validation.pipe';

/** Routes served outside `/api` and without a token. */
const UNPREFIXED = ['health', 'health/{*path}', 'metrics'].map((path) => ({
  path,
  method: RequestMethod.ALL,
}));

/**
 * Everything an HTTP app of Rollout needs, shared by main.ts and the tests: the `/api` prefix, the
 * validation pipe, the one exception filter, the bearer-token guard and the OpenAPI docs at `/api/docs`.
 */
export function configureHttpApp(app: INestApplication): void {
  app.setGlobalPrefix('api', { exclude: UNPREFIXED });
  app.useGlobalPipes(createValidationPipe());
  app.useGlobalFilters(new AllExceptionsFilter(app.get(HttpAdapterHost)));
  app.useGlobalGuards(app.get(BearerAuthGuard));
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Rollout')
      .setDescription('Zero-downtime rolling updates of Docker applications over SSH')
      .addBearerAuth()
      .build(),
  );
  SwaggerModule.setup('api/docs', app, document);
}
