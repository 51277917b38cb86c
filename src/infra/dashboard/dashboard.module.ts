import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ServerResponse } from 'node:http';
import { Logger, Module } from '@nestjs/common';
import { ServeStaticModule, type ServeStaticModuleOptions } from '@nestjs/serve-static';

/**
 * The dashboard's page allows its own scripts, styles and same-origin fetch and socket.io only. Unlike
 * helmet's default it does not upgrade requests to https: an API reached over plain http on a private
 * network would otherwise load nothing.
 */
export const DASHBOARD_CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "base-uri 'self'",
  "connect-src 'self'",
  "font-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "img-src 'self' data:",
  "object-src 'none'",
  "script-src 'self'",
  "script-src-attr 'none'",
  "style-src 'self'",
].join('; ');

/** What the dashboard never answers for, whatever the spelling's case: the API and its neighbours. */
export const DASHBOARD_EXCLUDED_PATHS = [
  '/api{/*path}',
  '/health{/*path}',
  '/metrics{/*path}',
  '/docs{/*path}',
  '/docs-json',
  '/docs-yaml',
  '/socket.io{/*path}',
];

/** `dist/dashboard` of the package, found from this file in `dist/src/…` (built) or `src/…` (tests). */
export function dashboardRoot(from = __dirname): string {
  let folder = from;
  while (!existsSync(join(folder, 'package.json'))) {
    const parent = dirname(folder);
    if (parent === folder) return join(from, 'dashboard');
    folder = parent;
  }
  return join(folder, 'dist', 'dashboard');
}

function setDashboardHeaders(response: ServerResponse, path: string): void {
  response.setHeader('Content-Security-Policy', DASHBOARD_CONTENT_SECURITY_POLICY);
  // Vite names every asset after its content hash, so only index.html has to be revalidated.
  const hashed = /[\\/]assets[\\/][^\\/]+-[A-Za-z0-9_-]{8,}\.[a-z0-9]+$/.test(path);
  response.setHeader('Cache-Control', hashed ? 'public, max-age=31536000, immutable' : 'no-cache');
}

/**
 * The dashboard's options: the page lives at `/` (hash routes, so no fallback to index.html for other
 * paths: an unknown `/api/...` still gets the API's JSON 404), its assets under `/assets`.
 */
export function dashboardStaticOptions(rootPath: string): ServeStaticModuleOptions {
  return {
    rootPath,
    renderPath: '/',
    exclude: DASHBOARD_EXCLUDED_PATHS,
    serveStaticOptions: {
      index: 'index.html',
      redirect: false,
      dotfiles: 'ignore',
      fallthrough: true,
      setHeaders: setDashboardHeaders,
    },
  };
}

/** Serves the built dashboard (`npm run build` puts it in `dist/dashboard`) as public static files. */
@Module({
  imports: [
    ServeStaticModule.forRootAsync({
      useFactory: () => {
        const root = dashboardRoot();
        if (existsSync(join(root, 'index.html'))) return [dashboardStaticOptions(root)];
        new Logger('DashboardModule').warn(`No dashboard at ${root}; \`npm run build\` builds it`);
        return [];
      },
    }),
  ],
})
export class DashboardModule {}
