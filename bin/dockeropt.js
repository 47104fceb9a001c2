#!/usr/bin/env node
import { main } from '../dist/src/cli.js';
// `dockeropt | head`: a closed pipe ends the output quietly, as for other CLI tools
for (const s of [process.stdout, process.stderr]) s.on('error', (e) => { if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0); else throw e; });
process.exitCode = await main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, cwd: process.cwd(), env: process.env });
