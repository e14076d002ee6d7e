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
);
