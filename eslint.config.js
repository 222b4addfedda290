// The rules for the project's browser scripts (`npx eslint`; scripts/test runs it). They are
// classic scripts, no modules and no build step, that run as they are in the customer's
// browser: so only the globals a browser defines, and nothing a bundler would have fixed.
'use strict';
const js = require('@eslint/js');
const globals = require('globals');

const rules = {
  ...js.configs.recommended.rules,
  'no-unused-vars': 'error',
  'no-undef': 'error',
  eqeqeq: 'error',
  'prefer-const': 'error',
};

module.exports = [
  // Not ours: virtualenvs, installed packages, build output.
  {ignores: ['.venv*/', 'venv/', '.tox/', '**/node_modules/', 'build/', '**/dist/', '**/.next/',
    '*.egg-info/']},
  {linterOptions: {reportUnusedDisableDirectives: 'error'}},
  {
    files: ['billflow_core/**/static/*.js', 'billflow_sandbox/static/*.js', 'tests/**/*.js'],
    languageOptions: {ecmaVersion: 2022, sourceType: 'script', globals: globals.browser},
    rules,
  },
  // The sandbox's Stripe.js stand-in promises plain ES2017, where a catch must name its error.
  {
    files: ['billflow_sandbox/static/stripe.js'],
    languageOptions: {ecmaVersion: 2017},
    rules: {'no-unused-vars': ['error', {caughtErrors: 'none'}]},
  },
  {
    files: ['eslint.config.js'],
    languageOptions: {ecmaVersion: 2022, sourceType: 'commonjs', globals: globals.node},
    rules,
  },
  // The framework samples: ES modules, for the browser (built by Vite or Next.js) or for
  // Node.js (their backends, Next.js's route handlers, the build configuration).
  {
    files: ['examples/react/**/*.js', 'examples/vue/**/*.js'],
    languageOptions: {ecmaVersion: 2022, sourceType: 'module', globals: globals.browser},
    rules,
  },
  {
    files: ['examples/sample-backend/*.mjs', 'examples/*/vite.config.js', 'examples/nextjs/**/*.{js,mjs}'],
    languageOptions: {ecmaVersion: 2022, sourceType: 'module', globals: {...globals.node, ...globals.browser}},
    rules,
  },
];
