#!/usr/bin/env node
// The `kpi` command: runs the TypeScript CLI through tsx so a checkout needs no build step.
require('tsx/cjs');
require('../cli/main.ts');
