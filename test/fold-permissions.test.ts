/**
 * fold-permissions' mode model against the real thing: for thousands of (file mode, chmod mode) pairs,
 * GNU coreutils' chmod (Debian, Ubuntu, RHEL images) and busybox's chmod (Alpine, busybox images, and
 * the build test's image) change real files under umask 022, and applyMode must give the same mode for
 * every one. For busybox, pairs whose model result or initial mode has setuid/setgid/sticky bits are
 * left out: the transform refuses those (busybox ignores `o+t`, GNU sets it). Also the owner forms.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyMode, octal, parseMode, parseOwner } from '../transforms/fold-permissions/modes.js';

const test = suite('fold-permissions modes');

// every who × op × perm, with some multi-clause and multi-op modes, and numeric ones
function modeStrings(): string[] {
  const whos = ['', 'u', 'g', 'o', 'a', 'ug', 'go', 'uo', 'ugo'];
  const perms = ['', 'r', 'w', 'x', 'X', 'rw', 'rx', 'wx', 'rwx', 'rX', 'wX', 'u', 'g', 'o', 's', 't', 'xs', 'rwxt'];
  const out: string[] = [];
  for (const w of whos) for (const op of ['+', '-', '=']) for (const p of perms) out.push(`${w}${op}${p}`);
  // a fixed pseudo-random sample of two- and three-clause modes, and of several operators in a clause
  let seed = 7;
  const rnd = (n: number) => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed % n; };
  const one = () => out[rnd(out.length)]!;
  for (let i = 0; i < 150; i++) out.push(`${one()},${one()}`);
  for (let i = 0; i < 50; i++) out.push(`${one()},${one()},${one()}`);
  for (let i = 0; i < 50; i++) { const a = one(); const b = one().replace(/^[ugoa]*/, ''); out.push(a + b); }
  out.push('755', '0644', '600', '4755', '2775', '1777', '7', '44', '0', '0000', '7777', '751');
  return [...new Set(out)].filter((m) => parseMode(m) !== null);
}

const INITIAL = [0o640, 0o644, 0o600, 0o755, 0o664, 0o000, 0o4755, 0o2640, 0o1644, 0o111];

function runChmod(tool: string[], modes: string[]): Map<string, number> {
  const dir = mkdtempSync(join(tmpdir(), 'dockeropt-chmod-'));
  try {
    const lines = ['umask 022'];
    const names: [string, number, string][] = [];
    let i = 0;
    // one chmod call per mode, over one file of each initial mode
    for (const m of modes) {
      const files: string[] = [];
      for (const initial of INITIAL) {
        const f = join(dir, `f${i++}`);
        writeFileSync(f, '');
        chmodSync(f, initial);
        names.push([f, initial, m]);
        files.push(f);
      }
      lines.push(`${tool.join(' ')} -- '${m}' ${files.join(' ')} 2>/dev/null || echo "failed ${m}" >&2`);
    }
    writeFileSync(join(dir, 'run.sh'), lines.join('\n') + '\n');
    const r = spawnSync('/bin/sh', [join(dir, 'run.sh')], { encoding: 'utf8', maxBuffer: 64 << 20 });
    assert.is(r.status, 0, r.stderr || String(r.error));
    const out = new Map<string, number>();
    for (const [f, initial, m] of names) out.set(`${octal(initial)} ${m}`, statSync(f).mode & 0o7777);
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

for (const [name, tool] of [['GNU chmod', ['/bin/chmod']], ['busybox chmod', ['/bin/busybox', 'chmod']]] as const) {
  test(`applyMode gives what ${name} does`, () => {
    assert.ok(existsSync(tool[0]), `~> ${tool[0]} is missing (apt-get install ${tool[0].includes('busybox') ? 'busybox-static' : 'coreutils'})`);
    // as a non-root user, chmod clears setgid on files of a group one is not in; the tests run as root
    assert.ok(isRoot, '~> run as root (chmod as root keeps setgid bits, as in a RUN)');
    const modes = modeStrings();
    assert.ok(modes.length > 500, `~> ${modes.length} modes`);
    const real = runChmod([...tool], modes);
    const wrong: string[] = [];
    for (const [key, got] of real) {
      const [initial, m] = key.split(' ') as [string, string];
      const mine = applyMode(parseInt(initial, 8), m);
      if (tool[0].includes('busybox') && ((mine ?? 0) | parseInt(initial, 8)) & 0o7000) continue;
      if (mine !== got) wrong.push(`${initial} ${m}: ${name} ${octal(got)}, model ${mine === null ? 'null' : octal(mine)}`);
    }
    assert.equal(wrong.slice(0, 20), [], `${wrong.length} of ${real.size} differ`);
  });
}

test('the example of the issue: chmod +x on 0640 gives 751', () => {
  assert.is(octal(applyMode(0o640, '+x')!), '751');
  assert.is(octal(applyMode(0o644, 'u+x')!), '744');
  assert.is(octal(applyMode(0o775, 'go-rwx')!), '700');
});

test('modes chmod rejects are not modelled', () => {
  for (const m of ['', '8', '07555', 'x', 'u', 'a+q', 'u+rwu', '+', ',', 'u+x,', '=', 'rwx', 'g=u', '=X', 'a=rX']) {
    if (m === '+' || m === '=') continue; // valid: no bits
    assert.is(parseMode(m), null, m);
  }
});

test('owner forms', () => {
  assert.equal(parseOwner('app', false), { user: 'app', group: null });
  assert.equal(parseOwner('1000', false), { user: '1000', group: null });
  assert.equal(parseOwner('app:staff', false), { user: 'app', group: 'staff' });
  assert.equal(parseOwner(':staff', false), { user: null, group: 'staff' });
  assert.equal(parseOwner('1000:1000', false), { user: '1000', group: '1000' });
  assert.equal(parseOwner('staff', true), { user: null, group: 'staff' });
  assert.ok('refuse' in parseOwner('app:', false));
  assert.ok('refuse' in parseOwner('app.staff', false));
  assert.ok('refuse' in parseOwner('$USER', false));
  assert.ok('refuse' in parseOwner('a:b:c', false));
});

test.run();
