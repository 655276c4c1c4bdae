// Lint configuration: typescript-eslint's recommended type-aware rules over src/, test/ and bench/.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        { allowForKnownSafeCalls: [{ from: 'package', name: ['test', 'describe', 'it', 'suite'], package: 'node:test' }] },
      ],
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // Nothing grows the stack with the cluster: a spread argument puts every element on the stack,
      // and `push(...x)` of 100 000 objects overflows it (issue 9). Loop instead; a spread over data
      // of a fixed small size may stay, with an eslint-disable comment that says why.
      'no-restricted-syntax': [
        'error',
        { selector: 'CallExpression > SpreadElement', message: 'a spread argument grows the stack with the data: use a loop (or say why the data is small)' },
        { selector: 'NewExpression > SpreadElement', message: 'a spread argument grows the stack with the data: use a loop (or say why the data is small)' },
      ],
    },
  },
  {
    // Tests build small fixed inputs.
    files: ['**/*.test.ts', '**/test-*.ts', 'test/**/*.ts', 'bench/**/*.ts'],
    rules: { 'no-restricted-syntax': 'off' },
  },
  {
    files: ['**/*.js', '**/*.mjs', 'bin/*'],
    languageOptions: {
      globals: { process: 'readonly', console: 'readonly', URL: 'readonly', setTimeout: 'readonly' },
    },
  },
);
