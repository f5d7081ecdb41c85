import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', '.cache/', 'data/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', URL: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
      'no-control-regex': 'off',
    },
  },
  { files: ['**/*.cjs'], languageOptions: { sourceType: 'commonjs', globals: { module: 'writable', require: 'readonly' } } },
  {
    files: ['src/domain/**', 'src/application/**'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['koa', '@koa/*', 'inversify', 'kafkajs', 'pg', 'nodemailer', 'winston', 'ajv', 'ajv-*'], message: 'The core stays free of frameworks and drivers: put this in an adapter.' }] }],
    },
  },
);
