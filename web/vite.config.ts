import { defineConfig } from 'vite';

/**
 * The web app builds to web/dist, which the Purse server serves at `/`.
 * `npm run dev --workspace web` proxies the API to a server on port 3000.
 */
export default defineConfig({
  oxc: { jsx: { runtime: 'automatic' } },
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022', reportCompressedSize: true },
  server: {
    proxy: Object.fromEntries(['/v1', '/demo', '/healthz', '/openapi.json', '/docs'].map((p) => [p, 'http://127.0.0.1:3000'])),
  },
});
