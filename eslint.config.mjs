// The project's rules that a reader should not have to police by hand: units spelled last, one
// clock, bounded functions with a reason when they are not, and typed promises on the money path.
import comments from '@eslint-community/eslint-plugin-eslint-comments/configs'
import tseslint from 'typescript-eslint'
import payall from './eslint/hub-layers.mjs'

/** A unit or qualifier spelled in camel case at the end of a name (`timeoutMs`, `rowsMax`). */
const CAMEL_UNIT = '[a-z0-9](Ms|Seconds|Minor|Bytes|Max|Min)$'

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'contracts/**', '**/*.js', '**/*.mjs'] },
  {
    files: ['**/*.ts'],
    extends: [tseslint.configs.base, comments.recommended],
    languageOptions: {
      parserOptions: { project: './tsconfig.check.json', tsconfigRootDir: import.meta.dirname },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // A rule switched off for one place says why (`-- reason`), as every other exception does.
      '@eslint-community/eslint-comments/require-description': ['error', { ignore: [] }],
      '@eslint-community/eslint-comments/no-unlimited-disable': 'error',
      // A promise nobody awaits loses its error: on the money path that is a lost payment.
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: false }],
      '@typescript-eslint/no-explicit-any': 'error',
      eqeqeq: ['error', 'always', { null: 'ignore' }],
      'no-var': 'error',
      'prefer-const': 'error',
    },
  },
  {
    // Source (not tests): bounded functions, and time and randomness only through protocol/clock.ts.
    files: ['protocol/**/*.ts', 'hub/**/*.ts', 'terminal/**/*.ts', 'hardware/**/*.ts', 'simulator/**/*.ts', 'bench/**/*.ts'],
    ignores: ['protocol/clock.ts'],
    rules: {
      'max-lines-per-function': ['error', { max: 70, skipBlankLines: true, skipComments: true, IIFEs: true }],
      'no-restricted-globals': ['error',
        { name: 'setTimeout', message: 'Take a Clock (protocol/clock.ts) and use clock.setTimer.' },
        { name: 'setInterval', message: 'Take a Clock (protocol/clock.ts) and use repeat(clock, ...).' },
      ],
      'no-restricted-properties': ['error',
        { object: 'Date', property: 'now', message: 'Take a Clock (protocol/clock.ts) and use clock.nowMs().' },
        { object: 'Math', property: 'random', message: 'Take RandomBytes (protocol/clock.ts).' },
      ],
    },
  },
  {
    // The web dashboard is browser code with its own compiler settings (DOM, JSX); the browser's own timers drive it.
    files: ['web/src/**/*.ts', 'web/src/**/*.tsx'],
    extends: [tseslint.configs.base, comments.recommended],
    languageOptions: {
      parserOptions: { project: './web/tsconfig.json', tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@eslint-community/eslint-comments/require-description': ['error', { ignore: [] }],
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: false }],
      '@typescript-eslint/no-explicit-any': 'error',
      'max-lines-per-function': ['error', { max: 70, skipBlankLines: true, skipComments: true, IIFEs: true }],
      eqeqeq: ['error', 'always', { null: 'ignore' }],
      'no-var': 'error',
      'prefer-const': 'error',
    },
  },
  {
    // hub/ reads from the top down (the layer table is in eslint/hub-layers.mjs).
    files: ['hub/**/*.ts'],
    plugins: { payall },
    rules: { 'payall/hub-layers': 'error' },
  },
  {
    // tap awaits the subtests it is handed, and a test forges bad input with `as any` on purpose.
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-floating-promises': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
      // The source's unused names are tsc's (noUnusedLocals); tests are type-checked without it.
      '@typescript-eslint/no-unused-vars': ['error', {
        argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_', ignoreRestSiblings: true,
      }],
    },
  },
  {
    // Units and qualifiers last, after an underscore: `timeout_ms`, `amount_minor`, `rows_max`, `wait_ms_max`.
    // The names code chooses for its values and functions; record fields (type members) and the bindings
    // destructured from them keep the records' spelling, which REST and MQTT JSON, config files and the
    // legacy API publish.
    files: ['**/*.ts', '**/*.tsx'],
    rules: {
      '@typescript-eslint/naming-convention': ['error',
        { selector: ['variable', 'parameter'], modifiers: ['destructured'], types: ['number'], format: null },
        {
          selector: ['variable', 'parameter', 'parameterProperty', 'classProperty', 'accessor'], types: ['number'],
          format: null, custom: { regex: CAMEL_UNIT, match: false },
        },
        { selector: ['function', 'classMethod', 'typeMethod'], format: null, custom: { regex: '[a-z0-9](Ms|Seconds)$', match: false } },
      ],
    },
  },
)
