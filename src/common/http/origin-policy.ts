import type { IncomingMessage } from 'node:http';

/**
 * Browsers say where a page came from in `Origin`. A request from a page of another origin is refused
 * unless that origin is listed in CORS_ORIGINS; the API's own origin (a dashboard it serves) is always
 * allowed. A client that sends no Origin (curl, the CLI, a server) is not refused for that: it is not a
 * browser page acting on a visitor's behalf.
 */
export function isOriginAllowed(
  request: Pick<IncomingMessage, 'headers'>,
  allowedOrigins: readonly string[],
): boolean {
  const origin = request.headers.origin;
  if (origin === undefined) return true;
  if (allowedOrigins.includes(origin)) return true;
  const host = request.headers.host;
  return host !== undefined && (origin === `http://${host}` || origin === `https://${host}`);
}
