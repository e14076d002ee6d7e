// Flat config: ESLint's and typescript-eslint's recommended rules, without type information (fast).
import js from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default defineConfig(
  globalIgnores([
    '**/node_modules/',
    '**/dist/',
    '**/out/',
    'release/',
    'coverage/',
    '.vscode-test/',
    '.coldkeep/',
    '.tmp/',
    'bench/results/',
    'bench/.cache/',
    'test/artifacts/',
  ]),
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    languageOptions: {
      ecmaVersion: 2023,
      sourceType: 'module',
      globals: { ...globals.node },
    },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          caughtErrorsIgnorePattern: '^_',
          destructuredArrayIgnorePattern: '^_',
        },
      ],
    },
  },
  {
    // The renderer runs in a browser page, without Node.
    files: ['desktop/src/renderer/**/*.ts'],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    // The front ends that are packages of their own reach AWS and the core only through the
    // core's public face (@coldkeep/shared, or @coldkeep/shared/browser in the renderer): the
    // application layer holds the logic, so they keep input and rendering.
    files: ['extension/src/**/*.ts', 'desktop/src/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['@aws-sdk/*', '@smithy/*'],
              message: 'Front ends talk to AWS through the core (@coldkeep/shared: Connection, runJob).',
            },
            {
              group: ['@coldkeep/shared/dist', '@coldkeep/shared/dist/*'],
              message:
                'Import from @coldkeep/shared (or @coldkeep/shared/browser in the renderer), not its build output.',
            },
          ],
        },
      ],
    },
  },
  {
    // The package's CommonJS shim for its browser entry.
    files: ['shared/browser.js'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
