// ESLint flat config for `npm run lint`: the recommended rules of ESLint and
// typescript-eslint, syntax only so it stays fast (types are checked by
// `npm run typecheck`).
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
);
