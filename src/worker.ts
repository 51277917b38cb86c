import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import { loadDotEnvFile } from './config/app-config';
import { exitOnBootFailure, loadConfigOrExit } from './infra/logging/boot';
import { WorkerModule } from './worker/worker.module';

/**
 * The BullMQ worker: no HTTP port. On SIGTERM/SIGINT Nest closes the application: RolloutProcessor
 * stops taking jobs, each running rollout finishes the step it is in and goes back to the queue for
 * another worker, then the Postgres and Redis connections close. Killed before that, a running rollout
 * stalls and is resumed from Postgres by another worker (or this one, restarted) once its lock expires. A
 * second signal during the wait ends the process at once.
 */
async function bootstrap(): Promise<void> {
  loadDotEnvFile();
  loadConfigOrExit({ needsRedis: true });
  const app = await NestFactory.createApplicationContext(WorkerModule, {
    bufferLogs: true,
    abortOnError: false,
  });
  app.useLogger(app.get(Logger));
  app.enableShutdownHooks();
  await app.init();
}

bootstrap().catch(exitOnBootFailure('worker'));
