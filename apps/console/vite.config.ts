import { defineConfig } from 'vitest/config';
import react from '@vitejs/plugin-react';

// The node serves dist/ at / (index.html no-cache, assets/ hashed and cached for a year); the
// content security policy there allows scripts and styles from the node itself only, so nothing
// may be inlined into index.html.
export default defineConfig({
  root: __dirname,
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    sourcemap: false,
    target: 'es2022',
  },
  server: { proxy: { '/api': process.env.TDX_NODE_URL ?? 'http://127.0.0.1:3000' } },
  test: {
    environment: 'happy-dom',
    include: ['src/**/*.test.{ts,tsx}'],
    setupFiles: ['src/test-setup.ts'],
  },
});
