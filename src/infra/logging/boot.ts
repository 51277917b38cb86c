import { AppConfig, ConfigError, loadConfig, requireRedisUrl } from '../../config/app-config';

/** Validates the environment before Nest starts, so a bad variable is one clear line, not a stack. */
export function loadConfigOrExit(options: { needsRedis?: boolean } = {}): AppConfig {
  try {
    const config = loadConfig();
    if (options.needsRedis) requireRedisUrl(config);
    return config;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
}

/** The last word of an entry point that could not start (logger may not exist yet). */
export function exitOnBootFailure(what: string): (error: unknown) => never {
  return (error) => {
    const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
    process.stderr.write(`${what} failed to start: ${detail}\n`);
    process.exit(1);
  };
}
