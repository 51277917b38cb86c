import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Options } from 'pino-http';
import type { LogLevel } from '../../config/app-config';

/**
 * Never logged: credentials in headers, request bodies (should a serializer ever add them), and SSH keys,
 * secret env and tokens anywhere in a logged object.
 */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers["proxy-authorization"]',
  'req.headers.cookie',
  'req.body',
  'res.headers["set-cookie"]',
  ...['privateKey', 'secretEnv', 'token'].flatMap((key) => [key, `*.${key}`, `*.*.${key}`]),
];

/**
 * pino-http's default serializers log method, url, headers and status, never bodies. Health checks
 * and scrapes are not logged: they come every few seconds and say nothing.
 */
export function pinoHttpOptions(level: LogLevel): Options<IncomingMessage, ServerResponse> {
  return {
    level,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    autoLogging: { ignore: (req) => /^\/(health|metrics)(\/|\?|$)/.test(req.url ?? '') },
    customLogLevel: (_req, res, error) => {
      if (error || res.statusCode >= 500) return 'error';
      if (res.statusCode >= 400) return 'warn';
      return 'info';
    },
  };
}
