import { defineConfig } from 'vitest/config'

// Browser tests: the real server binary, the built app, Debian's chromium.
export default defineConfig({
  test: {
    environment: 'node',
    include: ['tests/e2e/**/*.test.ts'],
    testTimeout: 60000,
    hookTimeout: 60000,
    fileParallelism: false,
  },
})
