import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module';
import { configureHttpApp } from './common/http/configure-http-app';
import { RedisIoAdapter } from './infra/events/redis-io.adapter';
import { loadDotEnvFile } from './config/app-config';
import { exitOnBootFailure, loadConfigOrExit } from './infra/logging/boot';

/** The API: REST under /api, /health, /metrics and the socket.io namespace /deployments on one port. */
async function bootstrap(): Promise<void> {
  loadDotEnvFile();
  const config = loadConfigOrExit({ needsRedis: true });
  const app = await NestFactory.create(AppModule, { bufferLogs: true, abortOnError: false });
  app.useLogger(app.get(Logger));
  const io = new RedisIoAdapter(app, config);
  await io.connect();
  app.useWebSocketAdapter(io);
  configureHttpApp(app);
  app.enableShutdownHooks();
  await (config.host === null ? app.listen(config.port) : app.listen(config.port, config.host));
}

bootstrap().catch(exitOnBootFailure('API'));
