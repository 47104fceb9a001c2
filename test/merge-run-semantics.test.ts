/**
 * merge-run must not change what the commands do: a differential test over its allowlist, with real shells.
 *
 * The commands come from both sides of the allowlist: state-free ones (external programs,
 * echo/printf/test/true/false, subshells, pipelines, and-or lists, harmless expansions, assignments before
 * programs) and every construct it refuses (cd, command cd, export, bare and `:` assignments, `${X:=…}`,
 * arithmetic that assigns or reads variables, read, for, if/while/case/{ }, set, umask, trap, functions,
 * alias, exec, exit, let/declare/shopt under bash, eval, source, hash, background jobs, process
 * substitution, `{fd}>`, a name from an expansion or a glob, `$_`/`$LINENO`/`type`/`hash` in the later RUN,
 * a command an earlier RUN ran and then replaced earlier on PATH, `||`/`;`/`&` in the later RUN, bash-only
 * syntax under sh, compound commands at the end under `-e`, trailing comments and backslashes, the
 * backtick escape). Two tests:
 * - every command as the earlier RUN before an observer that prints every piece of state the refused ones
 *   change, and as the later RUN after `echo a`, without a SHELL and under `SHELL ["/bin/sh", "-e", "-c"]`;
 * - random sequences of 2 to 5 RUNs (fast-check's generator, fixed seed) under every SHELL below, one in
 *   six with the backtick escape; both a fair share of merged pairs and of refused pairs are required.
 *
 * Each Dockerfile is run as a build runs it: every RUN's shell text (as BuildKit hands it over) in a fresh
 * shell process, one after another in the same directory (sharing only the file system and the same
 * environment, as ENV gives every RUN), stopping at the first failure. The original and the merged
 * Dockerfile must give the same stdout, the same exit status and the same files (names, modes, contents),
 * under every shell the Dockerfile's SHELL can mean: no SHELL runs under dash, bash and BusyBox sh (each
 * is /bin/sh somewhere), `SHELL ["/bin/sh", "-e", "-c"]` under dash -e and bash -e, and the bash SHELLs
 * under bash. PROPERTY_RUNS scales the random part (default 150 sequences), PROPERTY_SEED varies it.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { DocView } from '../src/document.js';
import { runShellView } from '../src/shell.js';
import { runPipeline } from '../src/pipeline.js';
import { transformById } from '../transforms/index.js';
import { ensureCommands } from './helpers/packages.js';

ensureCommands([['dash', 'dash'], ['bash', 'bash'], ['busybox', 'busybox']]);

/** `%` is a Dockerfile line continuation (the escape character, a newline, indentation). */
const FREE = [
  // state-free: merge-run may join after these
  'echo a', 'printf "%s\\n" p', 'true', 'false', ':', 'test -d sub', '[ -f g ]', 'mkdir -p sub', 'touch g', 'ls', 'cat g',
  'rm -f g', 'echo "x=$X y=$Y u=${U:-unset} p=$PRESET"', 'X=1 sh -c \'echo "inner x=$X"\'', 'X=1 true', 'X=2 echo "x=$X"',
  'X=3 ls >/dev/null', '(cd sub && pwd | sed "s|.*/||")', 'echo "$(cd sub 2>/dev/null && pwd | sed "s|.*/||")"',
  'false | true', 'true | false', '! false', '! true', 'echo $((1+2))', 'test -f g && rm g', 'false || echo rec',
  'echo x && false || true', 'cat missing 2>/dev/null', '(exit 3)', '(exit 0)', 'echo one %&& echo two', 'echo one; echo two',
  'echo a; false', 'false; echo after', 'tool', 'tool | cat', '(tool)', 'echo "t=$(tool)"', 'echo ${#PRESET} "${PRESET#1}"',
  'echo hi > f1', 'echo "${U-d}" >> f1', 'sh -c "exit 4"', 'test -n "$PRESET"', 'echo c # note', "echo 'q # not a comment'",
  '(if true; then echo in-sub; fi)', '(false; echo sub-went-on)', 'true && (false; echo sub-and)', '{ false; echo grp; } | cat',
  'tool && mkdir -p p0 && printf "#!/bin/sh\\necho new\\n" > p0/tool && chmod +x p0/tool', 'echo tail\\', 'echo "two%words"',
  'echo "$-" | tr -d "hBcm" | wc -c', 'printf %s "$PRESET" > f2', 'echo "$0" | sed "s|.*/||"', 'echo ${PRESET:+set}',
  // later-RUN side: ;, ||, & at the top level, and what depends on the commands before it in the same shell
  'echo p || echo q', 'echo b; false', 'true &', 'type tool', 'hash', 'echo "$_"', 'echo $LINENO', 'set | grep -c "^[XY]="',
  'echo "${!PRE*}"', 'cat <(echo ps)', 'echo "${PRESET/1/one}"',
];
const CHANGERS = [
  // refused in the earlier RUN
  'cd sub', 'cd sub 2>/dev/null || mkdir sub', 'command cd sub', 'export X=1', 'X=2', 'Y=1 :', ': ${X:=3}', 'echo ${Y:=4}',
  'echo $((N=5))', 'echo $((PRESET))', 'read R < g', 'for i in 1 2; do echo "i$i"; done', 'set -e', 'set -- a b', 'set -u',
  'umask 077', 'trap "echo trapped" EXIT', 'f() { echo f; }', 'alias e=echo', 'exec >> f3', 'exit 1', 'exit 0', 'let L=1',
  'declare D=1', 'shopt -s nullglob', 'eval "E=1"', 'shift', 'hash -r', 'sleep 0.01 &', 'printf -v P %s 1', '$CMDVAR',
  'if true; then cd sub; fi', 'while false; do :; done', 'case x in x) echo cx;; esac', '{ cd sub; }', '{ echo grp2; }',
  '[[ -d sub ]]', '((N=1))', 'echo "$(( $(echo 1) + 1 ))"', 'echo fd {fd}>f4', '. /dev/null', 'getopts a o', 'pushd sub',
  'c[d] sub', 'echo $((EXPR))', 'echo "${!REF}"', '$CMDVAR sub', 'X=4 :', 'true ${Y:=5}',
];
/** Prints every piece of state the changers change (and what a cached `tool` path changes). */
const OBSERVE = '{ echo "x=$X y=$Y i=$i R=$R L=$L D=$D E=$E N=$N P=$P o=$o ${PWD##*/} $#:$*"; umask; '
  + 'f 2>/dev/null || true; e hi 2>/dev/null || true; tool; trap; alias; true; }';
const COMMAND = fc.oneof(
  { arbitrary: fc.constantFrom(...FREE), weight: 5 },
  { arbitrary: fc.constantFrom(...CHANGERS), weight: 3 },
  { arbitrary: fc.constant(OBSERVE), weight: 2 },
);

type Mode = { name: string; shell: string | null; runtimes: string[][] };
const MODES: Mode[] = [
  { name: 'sh', shell: null, runtimes: [['dash', '-c'], ['bash', '-c'], ['busybox', 'sh', '-c']] },
  { name: 'bash', shell: '["/bin/bash", "-c"]', runtimes: [['bash', '-c']] },
  { name: 'sh -e', shell: '["/bin/sh", "-e", "-c"]', runtimes: [['dash', '-e', '-c'], ['bash', '-e', '-c']] },
  { name: 'bash pipefail', shell: '["/bin/bash", "-eo", "pipefail", "-c"]', runtimes: [['bash', '-eo', 'pipefail', '-c']] },
];

function dockerfile(cmds: string[], mode: Mode, backtick: boolean): string {
  const esc = backtick ? '`' : '\\';
  const lines = [...(backtick ? ['# escape=`'] : []), 'FROM debian:12', ...(mode.shell ? [`SHELL ${mode.shell}`] : [])];
  for (const c of cmds) lines.push(`RUN ${c.replaceAll('%', `${esc}\n    `)}`);
  return lines.join('\n') + '\n';
}

// For every case directory: runs its RUN texts one after another, each in a fresh shell (the shell and its
// options are in the case's `rt`), in its work directory, stopping at the first failure, whose status it
// records. One driver process runs a whole batch: spawning one per case from Node costs more than the shells.
const DRIVER = `for c in "$ROOT"/c*; do (
  cd "$c/work" || exit 1
  PATH="$c/work/p0:$c/bin:/usr/bin:/bin" HOME="$c" LANG=C PRESET=1 EXPR='Y=7' REF='arr[Y=9]' CMDVAR=cd
  export PATH HOME LANG PRESET EXPR REF CMDVAR
  read -r rt < "$c/rt"; i=1
  while [ -f "$c/runs/$i" ]; do
    IFS= read -r s < "$c/runs/$i"
    $rt "$s" >> "$c/out" 2>/dev/null </dev/null || { echo "$?" > "$c/status"; exit 0; }
    i=$((i+1))
  done
); done`;

interface Job { text: string; runtime: string[] }

/**
 * What running each Dockerfile's RUNs under its shell did: stdout, exit status, the files left behind
 * (names, modes, contents). Every RUN gets the same environment, as ENV gives it, with values that make
 * the refused constructs show (EXPR='Y=7' for arithmetic, REF='arr[Y=9]' for indirection, CMDVAR=cd, and
 * a file named cd for the glob c[d]); p0, which a RUN may create, comes first on PATH, before bin/ with a
 * `tool` that prints "old".
 */
function executeAll(jobs: Job[]): string[] {
  const root = mkdtempSync(join(tmpdir(), 'dockeropt-sem-'));
  const dirs = jobs.map((job, k) => {
    const c = join(root, `c${String(k).padStart(6, '0')}`);
    for (const d of ['work', 'runs', 'bin']) mkdirSync(join(c, d), { recursive: true });
    writeFileSync(join(c, 'bin', 'tool'), '#!/bin/sh\necho old\n');
    // a file named cd, so the glob c[d] expands to the builtin's name
    writeFileSync(join(c, 'work', 'cd'), '');
    chmodSync(join(c, 'bin', 'tool'), 0o755);
    writeFileSync(join(c, 'rt'), job.runtime.join(' ') + '\n');
    const doc = new DocView(job.text);
    let n = 0;
    for (const ins of doc.instructions()) {
      if (ins.getKeyword() !== 'RUN') continue;
      const text = runShellView(doc, ins)!.text;
      if (text.includes('\n')) throw new Error(`a RUN with a newline in its shell text: ${text}`);
      writeFileSync(join(c, 'runs', String(++n)), text + '\n');
    }
    return c;
  });
  const r = spawnSync('/bin/sh', ['-c', DRIVER], { encoding: 'utf8', timeout: 600_000, env: { PATH: '/usr/bin:/bin', ROOT: root } });
  if (r.error) throw r.error;
  const read = (f: string, dflt: string) => { try { return readFileSync(f, 'utf8'); } catch { return dflt; } };
  const results = dirs.map((c) => {
    const files: string[] = [];
    const walk = (d: string, rel: string) => {
      for (const name of readdirSync(d).sort()) {
        const p = join(d, name);
        const st = statSync(p);
        files.push(`${rel}${name}${st.isDirectory() ? '/' : ''} ${(st.mode & 0o777).toString(8)}${st.isFile() ? ' ' + JSON.stringify(readFileSync(p, 'utf8')) : ''}`);
        if (st.isDirectory()) walk(p, `${rel}${name}/`);
      }
    };
    walk(join(c, 'work'), '');
    // the case directory's name differs between the two runs compared
    return JSON.stringify({ status: read(join(c, 'status'), '0').trim(), stdout: read(join(c, 'out'), ''), files }, null, 1).replaceAll(c, '<box>');
  });
  rmSync(root, { recursive: true, force: true });
  return results;
}

const countRuns = (text: string) => new DocView(text).instructions().filter((i) => i.getKeyword() === 'RUN').length;

interface Tally { pairs: number; merged: number; refused: number }

/**
 * Merges each sequence under its mode and, for every one that merged, requires the merged Dockerfile to
 * behave exactly as the original under each of the mode's shells.
 */
async function check(cases: { cmds: string[]; mode: Mode; backtick: boolean }[]): Promise<Tally> {
  const tally: Tally = { pairs: 0, merged: 0, refused: 0 };
  const jobs: Job[] = [];
  const compared: { input: string; output: string; runtime: string[] }[] = [];
  for (const { cmds, mode, backtick } of cases) {
    const input = dockerfile(cmds, mode, backtick);
    const r = await runPipeline(input, { transforms: [transformById('merge-run')!] });
    tally.pairs += cmds.length - 1;
    tally.refused += r.outcomes.filter((o) => o.kind === 'refuse' && o.step === 0).length;
    if (r.text === input) continue;
    tally.merged += countRuns(input) - countRuns(r.text);
    for (const runtime of mode.runtimes) {
      compared.push({ input, output: r.text, runtime });
      jobs.push({ text: input, runtime }, { text: r.text, runtime });
    }
  }
  const results = executeAll(jobs);
  compared.forEach((c, k) => {
    assert.is(results[2 * k + 1], results[2 * k], `~> merging changed what the RUNs do under ${c.runtime.join(' ')}:\n${c.input}---\n${c.output}`);
  });
  return tally;
}

const sem = suite('merge-run semantics (dash, bash, BusyBox sh)');

sem('every construct, as the earlier RUN before an observer of all shell state and as the later RUN', async () => {
  const seqs: string[][] = [];
  for (const c of [...FREE, ...CHANGERS]) seqs.push([c, OBSERVE]);
  // the shell caches command paths for the whole joined chain, not only for the RUN right before
  seqs.push(['tool', 'mkdir -p p0 && printf "#!/bin/sh\\necho new\\n" > p0/tool && chmod +x p0/tool', 'tool']);
  // no SHELL (dash, bash, BusyBox) and SHELL sh -e (dash -e, bash -e); the random sequences cover the other SHELLs
  const cases = [MODES[0]!, MODES[2]!].flatMap((mode) => seqs.map((cmds) => ({ cmds, mode, backtick: false })));
  // each command as the later RUN, without a SHELL
  for (const c of FREE) cases.push({ cmds: ['echo a', c], mode: MODES[0]!, backtick: false });
  // what the join must not change the reading of: a trailing backslash, comments, continuations, with either escape
  for (const c of FREE.filter((x) => /[\\#%]/.test(x))) for (const backtick of [false, true]) cases.push({ cmds: [c, 'echo a'], mode: MODES[0]!, backtick });
  const t = await check(cases);
  assert.ok(t.merged > 100 && t.refused > 100, `~> ${t.merged} merged, ${t.refused} refused: the cases check too little`);
});

sem('random sequences: every merge behaves exactly as the separate RUNs did, and both sides of the allowlist are reached', async () => {
  const gen = fc.tuple(fc.array(COMMAND, { minLength: 2, maxLength: 5 }), fc.constantFrom(...MODES), fc.integer({ min: 0, max: 5 }));
  const samples = fc.sample(gen, { seed: Number(process.env.PROPERTY_SEED ?? 20261126), numRuns: Number(process.env.PROPERTY_RUNS ?? 150) });
  // one in six with the backtick escape (a trailing `\` is then a literal backslash)
  const t = await check(samples.map(([cmds, mode, tick]) => ({ cmds, mode, backtick: tick === 0 })));
  assert.ok(t.merged >= t.pairs * 0.15, `~> only ${t.merged} of ${t.pairs} pairs were merged: the test checks too little`);
  assert.ok(t.refused >= t.pairs * 0.3, `~> only ${t.refused} of ${t.pairs} pairs were refused: the generator misses the constructs merge-run refuses`);
  console.log(`  ${t.pairs} pairs: ${t.merged} merged, ${t.refused} refused`);
});

sem.run();
