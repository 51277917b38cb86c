import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      'coverage/**',
      'jest.config.js',
      'test/fleet/bin/**',
      'scripts/**',
    ],
  },
  js.configs.recommended,
  // Type-aware: src, test and migrations are linted with the types of tsconfig.json.
  ...tseslint.configs.recommendedTypeChecked,
  prettier,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      eqeqeq: 'error',
    },
  },
  {
    // The engine uses ports only: no infrastructure, no framework wiring.
    files: ['src/rollout/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/infra/**', '**/worker/**'],
              message: 'The engine uses ports; adapters live in src/infra.',
            },
            { group: ['**/demo/**'], message: 'The demo fleet is never imported by the product.' },
            {
              group: ['bullmq', '@nestjs/*', 'typeorm', 'ssh2', 'undici', 'socket.io', 'ioredis'],
              message: 'The engine imports no infrastructure library.',
            },
          ],
        },
      ],
    },
  },
  {
    // The demo's simulated fleet is not the product: nothing in src may depend on it.
    files: ['src/**/*.ts'],
    ignores: ['src/rollout/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [{ group: ['**/demo/**'], message: 'The demo fleet is never imported by the product.' }],
        },
      ],
    },
  },
  {
    // Controllers, services and gateways of features reach infrastructure only through ports.
    files: ['src/{servers,applications,deployments,audit,auth}/**/*.ts'],
    ignores: ['**/*.module.ts', '**/*.spec.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['**/infra/**'], message: 'Features use ports; wiring belongs in *.module.ts.' },
            { group: ['**/demo/**'], message: 'The demo fleet is never imported by the product.' },
          ],
        },
      ],
    },
  },
  {
    // The dashboard is a browser bundle with its own tsconfig (its .vue files are checked by vue-tsc): it
    // reaches the product only over HTTP and socket.io, never by importing server code.
    files: ['dashboard/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['**/src/**', 'node:*', '@nestjs/*'], message: 'The dashboard talks to the API only.' },
            { group: ['**/demo/**'], message: 'The demo fleet is never imported by the product.' },
          ],
        },
      ],
    },
  },
  {
    // The dashboard's build configuration runs in Node.
    files: ['dashboard/vite.config.ts'],
    rules: { 'no-restricted-imports': 'off' },
  },
  {
    files: ['**/*.js', '**/*.cjs', '**/*.mjs'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: {
      globals: {
        require: 'readonly',
        module: 'writable',
        process: 'readonly',
        console: 'readonly',
        __dirname: 'readonly',
      },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
