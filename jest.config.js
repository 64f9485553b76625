// One jest run for the whole workspace. Sources are transformed by swc (type-checking
// is `tsc -b`'s job), and `@trellis/<pkg>` resolves to that package's sources so unit
// tests never depend on a stale build. End-to-end tests that spawn real processes use
// the built `dist/` output, which `npm test` builds first.
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/packages', '<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/', '/test/bench/'],
  transform: {
    '^.+\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } }],
  },
  moduleNameMapper: {
    '^@trellis/([a-z-]+)$': '<rootDir>/packages/$1/src/index.ts',
  },
  testTimeout: 30000,
  // grpc-js keeps channel timers alive after close() (seen once as a CI run that never
  // exited after printing its summary); tests clean up what they own, and the run ends.
  forceExit: true,
};
