#!/usr/bin/env node
import { setFlagsFromString } from 'node:v8';
import { main } from '../dist/src/cli.js';
// V8 lets a heap grow to up to 4x what survived its last full collection; over a batch of thousands of
// files that is hundreds of MB of garbage. Growing by 1.5x at most about halves the peak memory for a few
// per cent more CPU (docs/performance.md#memory); a --heap-growing-percent given to node wins.
if (!process.execArgv.some((a) => a.startsWith('--heap-growing-percent'))) setFlagsFromString('--heap-growing-percent=50');
// `dockeropt | head`: a closed pipe ends the output quietly, as for other CLI tools
for (const s of [process.stdout, process.stderr]) s.on('error', (e) => { if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0); else throw e; });
process.exitCode = await main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, cwd: process.cwd(), env: process.env });
