// Lint: import hygiene (no import cycles between files, no self-imports, no unresolved relative
// imports) on every TypeScript file. Formatting is prettier's job (`npm run format`), not lint's;
// the layer order between folders is checked by test/architecture.test.ts.
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';
import { importX } from 'eslint-plugin-import-x';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';

export default defineConfig(
  // dot-folders hold generated code (e.g. the emit test's .codegen-test-*)
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', '.*/**'] },
  {
    files: ['**/*.ts'],
    linterOptions: { reportUnusedDisableDirectives: 'off' },
    languageOptions: { parser: tseslint.parser, ecmaVersion: 2022, sourceType: 'module' },
    plugins: { 'import-x': importX, '@typescript-eslint': tseslint.plugin },
    settings: {
      'import-x/resolver-next': [createTypeScriptImportResolver({ project: './tsconfig.json' })],
      // no-cycle follows imports by parsing the imported files: they are TypeScript
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
      'import-x/extensions': ['.ts', '.js'],
    },
    rules: {
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      'import-x/no-self-import': 'error',
      'import-x/no-unresolved': ['error', { ignore: ['^@tensorflow/tfjs-node'] }],
      'import-x/no-duplicates': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
    },
  },
  {
    // the consumer test's files run in a separate project that installs the packed package
    // ('tessera') and writes the emitted step next to them (.ci/consumer.sh)
    files: ['test/consumer/**/*.ts'],
    rules: { 'import-x/no-unresolved': 'off' },
  },
);
