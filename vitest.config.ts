import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // one XNNPACK thread per test process: the forks already fill the cores (the threaded
    // backend is tested on its own in test/runtime/wasmThreads.test.ts)
    env: { TESSERA_THREADS: '1' },
    typecheck: { enabled: true, include: ['test/**/*.test-d.ts'], tsconfig: './tsconfig.json' },
  },
});
