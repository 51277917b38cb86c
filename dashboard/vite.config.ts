import { fileURLToPath } from 'node:url';
import vue from '@vitejs/plugin-vue';
import { defineConfig } from 'vite';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

/**
 * The dashboard, bundled into `dist/dashboard` (served by the API at `/`). Everything it needs is in the
 * bundle: no CDN, no web font, nothing fetched at run time. `npx vite --config dashboard/vite.config.ts`
 * serves it with hot reload against an API on http://127.0.0.1:3000 (override with ROLLOUT_API).
 */
export default defineConfig(({ mode }) => {
  const api = process.env.ROLLOUT_API ?? 'http://127.0.0.1:3000';
  return {
    root: here('.'),
    base: '/',
    plugins: [vue()],
    publicDir: false,
    build: {
      outDir: here('../dist/dashboard'),
      emptyOutDir: true,
      target: 'es2022',
      sourcemap: mode !== 'production',
      modulePreload: { polyfill: false },
      assetsInlineLimit: 0,
      chunkSizeWarningLimit: 300,
    },
    server: {
      host: '127.0.0.1',
      proxy: {
        '/api': api,
        '/socket.io': { target: api, ws: true },
      },
    },
  };
});
