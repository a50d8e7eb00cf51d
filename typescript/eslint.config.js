// ESLint flat config for `npm run lint`: the recommended rules of ESLint and
// typescript-eslint, plus the type-aware rules that catch a promise nobody
// awaits (a write that may never happen, an error nobody sees). Type errors
// themselves are tsc's job (`npm run typecheck`).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'embedded-template/', 'migrations/', '.quick-start-*/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { console: 'readonly', process: 'readonly' } },
    rules: {
      // `Agent<any, any>` / `RunState<any, any>` is how the SDK's own types accept
      // any agent; tsc's strict mode guards everything else.
      '@typescript-eslint/no-explicit-any': 'off',
      // A leading underscore marks a deliberately unused binding, e.g. a field
      // destructured away (`{ type: _type, ...rest }`) or a drained iterator's value.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
    },
  },
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { project: ['./tsconfig.check.json'], tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        // node:test runs what test() and describe() register; their promises need no await.
        { allowForKnownSafeCalls: [{ from: 'package', name: ['test', 'describe', 'it', 'suite'], package: 'node:test' }] },
      ],
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
    },
  },
);
