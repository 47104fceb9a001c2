/**
 * merge-run must not change what the commands do. Random sequences of RUNs (fast-check, fixed seed) built
 * from harmless commands that touch every hazard (cd, export, set -e, traps, functions, exit, ||, ;,
 * background jobs, subshells) are run the way Docker runs them: each RUN's shell text (as BuildKit hands
 * it over) in a fresh `/bin/sh -c` in the same sandbox directory, stopping at the first failure. The
 * original and the merged Dockerfile must give the same success, the same trace and the same files.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { DocView } from '../src/document.js';
import { runShellView } from '../src/shell.js';
import { runPipeline } from '../src/pipeline.js';
import { transformById } from '../transforms/index.js';

const POOL = [
  'echo a >> "$T"', 'cd sub 2>/dev/null || mkdir sub', 'cd sub', 'export X=1', 'echo "x=$X" >> "$T"', 'pwd | sed "s|.*/||" >> "$T"',
  'false', 'true', 'test -d sub || exit 0', 'echo b >> "$T"; false', 'false || echo c >> "$T"', 'set -e', 'Y=2', 'echo "y=$Y" >> "$T"',
  '(cd sub && pwd | sed "s|.*/||" >> "$T")', 'mkdir -p sub && touch sub/f', 'f() { echo f >> "$T"; }', 'f', 'umask 077', 'touch g',
  'echo d >> "$T" && false', 'if [ -n "$X" ]; then echo ifx >> "$T"; fi', 'echo one >> "$T" \\\n    && echo two >> "$T"',
  'alias e=echo', 'exit 1', 'true && false || echo rec >> "$T"', 'false || echo r2 >> "$T" && echo r3 >> "$T"',
  'echo x >> "$T" && false || true', 'trap "echo trapped >> \\"$T\\"" EXIT', 'echo $((1+2)) >> "$T"', '{ echo grp >> "$T"; }',
  '! false', '! true', 'false | true', 'true | false', '(exit 3)', '{ false; }', 'case x in x) echo cx >> "$T";; esac', 'while false; do :; done',
  'for i in 1 2; do echo "i$i" >> "$T"; done', '[ -d sub ] && cd sub', 'echo "$(cd sub 2>/dev/null && pwd | sed "s|.*/||")" >> "$T"',
  'x=$(false) && echo never >> "$T"', ': && echo colon >> "$T"', 'command -v sh >/dev/null && echo cmd >> "$T"', 'test -f g && rm g',
  'echo pipe | cat >> "$T"', 'false && echo no >> "$T"', 'true || echo no2 >> "$T"', 'if false; then :; else echo else >> "$T"; fi',
];

/** Runs the RUNs of a single-stage Dockerfile like Docker does; returns what they did. */
function execute(dockerfile: string): string {
  const doc = new DocView(dockerfile);
  // a fixed name, so `pwd` prints the same in both runs
  const box = mkdtempSync(join(tmpdir(), 'dockeropt-sem-'));
  const dir = join(box, 'work');
  mkdirSync(dir);
  const trace = join(dir, '.trace');
  let ok = true;
  for (const ins of doc.instructions()) {
    if (ins.getKeyword() !== 'RUN') continue;
    const view = runShellView(doc, ins)!;
    const r = spawnSync('/bin/sh', ['-c', view.text], { cwd: dir, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', T: trace }, encoding: 'utf8', timeout: 10_000 });
    if (r.status !== 0) { ok = false; break; }
  }
  const files: string[] = [];
  const walk = (d: string, rel: string) => {
    for (const n of readdirSync(d).sort()) {
      if (rel === '' && n === '.trace') continue;
      const p = join(d, n);
      const st = statSync(p);
      files.push(`${rel}${n}${st.isDirectory() ? '/' : ''} ${(st.mode & 0o777).toString(8)}`);
      if (st.isDirectory()) walk(p, `${rel}${n}/`);
    }
  };
  walk(dir, '');
  let t = '';
  try { t = readFileSync(trace, 'utf8'); } catch { /* nothing written */ }
  rmSync(box, { recursive: true, force: true });
  return JSON.stringify({ ok, trace: t, files });
}

const sem = suite('merge-run semantics (real /bin/sh)');
sem('merged RUNs behave exactly as the separate RUNs did', async () => {
  const mergeRun = transformById('merge-run')!;
  let merged = 0;
  await fc.assert(fc.asyncProperty(fc.array(fc.constantFrom(...POOL), { minLength: 2, maxLength: 5 }), async (cmds) => {
    const input = 'FROM debian:12\n' + cmds.map((c) => `RUN ${c}\n`).join('');
    const out = (await runPipeline(input, { transforms: [mergeRun] })).text;
    if (out === input) return;
    merged++;
    assert.is(execute(out), execute(input), `~> merging changed what the RUNs do:\n${input}---\n${out}`);
  }), { seed: Number(process.env.PROPERTY_SEED ?? 20261126), numRuns: Number(process.env.PROPERTY_RUNS ?? 120) });
  assert.ok(merged > 30, `~> only ${merged} sequences were merged: the test checks too little`);
});
sem.run();
