#!/usr/bin/env node
// Runs every uvu test file (each in its own process, so a crash names its file) and ends with the
// plain closing line "N passed, N failed" that CI reads. Exit code: non-zero when any test failed.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';

const only = process.argv.slice(2);
const files = readdirSync('test').filter((f) => f.endsWith('.test.ts') && (only.length === 0 || only.some((o) => f.includes(o)))).sort();
let passed = 0, failed = 0, crashed = [];
for (const f of files) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', `test/${f}`], { encoding: 'utf8', env: { ...process.env, FORCE_COLOR: '0' } });
  process.stdout.write(r.stdout);
  process.stderr.write(r.stderr);
  const total = Number(/Total:\s+(\d+)/.exec(r.stdout)?.[1] ?? NaN);
  const ok = Number(/Passed:\s+(\d+)/.exec(r.stdout)?.[1] ?? NaN);
  if (Number.isNaN(total) || Number.isNaN(ok)) { crashed.push(f); failed++; continue; }
  passed += ok;
  failed += total - ok;
  if (r.status !== 0 && total === ok) { crashed.push(f); failed++; }
}
if (files.length === 0) { console.error('no test files found'); process.exit(2); }
if (crashed.length) console.error(`test files that crashed or exited non-zero: ${crashed.join(', ')}`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
