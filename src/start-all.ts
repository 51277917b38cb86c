import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import pino from 'pino';
import { configureHttpApp } from './common/http/configure-http-app';
import { type LogLevel, loadDotEnvFile } from './config/app-config';
import { EmbeddedDatabaseError } from './infra/embedded/embedded-database';
import { FIRST_TEAM, type EmbeddedStart, startEmbedded } from './infra/embedded/embedded-boot';
import { SecureIoAdapter } from './infra/events/secure-io.adapter';
import { exitOnBootFailure, loadConfigOrExit } from './infra/logging/boot';
import { ConfigError } from './config/app-config';
import { StandaloneModule } from './standalone.module';

/**
 * `npm start`: Rollout on one machine.
 * - No DATABASE_URL: an embedded PostgreSQL in ROLLOUT_DATA_DIR (started, migrated, stopped with us).
 * - No REDIS_URL: the API and one worker in this process, with the in-process queue.
 * - With REDIS_URL: the API and one worker as two child processes, as in production.
 * The first signal lets running rollouts finish, then stops the database; a second one stops at once
 * (a rollout cut short resumes at the next start).
 */
const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

const bootLog = pino({
  level: (process.env.LOG_LEVEL?.trim() || 'info') as LogLevel,
  base: { context: 'start' },
});
const embeddedLog = {
  info: (message: string) => bootLog.info(message),
  warn: (message: string) => bootLog.warn(message),
  debug: (message: string) => bootLog.debug(message),
};

async function main(): Promise<void> {
  loadDotEnvFile();
  let embedded: EmbeddedStart | null = null;
  if (!process.env.DATABASE_URL?.trim()) {
    embedded = await startEmbedded(process.env, embeddedLog);
    process.env.DATABASE_URL = embedded.database.url;
    process.env.APP_KEY = embedded.appKeyHex;
    if (embedded.firstToken) printFirstToken(embedded.firstToken);
  }
  const stopDatabase = async () => {
    await embedded?.database
      .stop()
      .catch((error: unknown) => bootLog.error({ err: error }, 'could not stop the embedded PostgreSQL'));
  };
  try {
    if (process.env.REDIS_URL?.trim()) superviseChildren(stopDatabase);
    else await runInOneProcess(stopDatabase);
  } catch (error) {
    await stopDatabase();
    throw error;
  }
}

function printFirstToken(token: string): void {
  process.stdout.write(
    `\nFirst start: an admin API token for team "${FIRST_TEAM}" (shown only this once; more with \`npm run --silent cli -- token create --team NAME\`):\n${token}\n\n`,
  );
}

async function runInOneProcess(stopDatabase: () => Promise<void>): Promise<void> {
  const config = loadConfigOrExit();
  const app = await NestFactory.create(StandaloneModule, { bufferLogs: true, abortOnError: false });
  app.useLogger(app.get(Logger));
  app.useWebSocketAdapter(new SecureIoAdapter(app, config));
  configureHttpApp(app);
  let stopping = false;
  for (const signal of SIGNALS) {
    process.on(signal, () => {
      if (stopping) {
        bootLog.warn(`${signal} again: stopping at once; running rollouts resume at the next start`);
        void stopDatabase().finally(() => process.exit(130));
        return;
      }
      stopping = true;
      bootLog.info(`${signal}: stopping (running rollouts finish first)`);
      // The exit code is set by the chain; a failure to close still stops the database.
      void app
        .close()
        .catch((error: unknown) => bootLog.error({ err: error }, 'could not close the application cleanly'))
        .then(stopDatabase)
        .finally(() => process.exit(0));
    });
  }
  await (config.host === null ? app.listen(config.port) : app.listen(config.port, config.host));
  bootLog.info(
    `Rollout listening on http://${config.host ?? '127.0.0.1'}:${config.port}${config.host === null ? ' (every interface)' : ''}: API, worker and in-process queue in one process`,
  );
}

/**
 * With Redis: the API and one worker as children, each in its own process group, so a terminal's Ctrl-C
 * reaches it once (through us) and the worker's graceful shutdown is not cut short by a second signal.
 * When either child ends, the other is stopped and we exit with the first code.
 */
function superviseChildren(stopDatabase: () => Promise<void>): void {
  const children = new Map<string, ChildProcess>();
  let exitCode: number | null = null;
  const stopAll = (signal: NodeJS.Signals) => {
    for (const child of children.values()) child.kill(signal);
  };
  const start = (name: string, script: string) => {
    const child = spawn(process.execPath, [join(__dirname, script)], { stdio: 'inherit', detached: true });
    children.set(name, child);
    child.on('exit', (code, signal) => {
      children.delete(name);
      if (exitCode === null) {
        exitCode = code ?? (signal ? 1 : 0);
        process.stderr.write(`${name} exited (${signal ?? `code ${code}`}); stopping the rest\n`);
        stopAll('SIGTERM');
      }
      if (children.size === 0) void stopDatabase().finally(() => process.exit(exitCode ?? 0));
    });
  };
  for (const signal of SIGNALS) {
    process.on(signal, () => {
      exitCode ??= 0;
      stopAll(signal);
    });
  }
  // Should we die without a signal (an uncaught error), do not leave the children behind.
  process.on('exit', () => stopAll('SIGTERM'));
  start('api', 'main.js');
  start('worker', 'worker.js');
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError || error instanceof EmbeddedDatabaseError) {
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
  exitOnBootFailure('Rollout')(error);
});
