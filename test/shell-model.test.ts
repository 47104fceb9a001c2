/**
 * src/shell-model.ts's lists of builtins and reserved words, checked against the real shells: every name
 * bash (compgen -b, compgen -k), BusyBox sh (help, then command -V) and dash (command -V, over every
 * candidate name, including the words of its manual when installed) treat as their own is in the lists,
 * and every name in the lists is treated as its own by at least one of them (no stale entries).
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import { SHELL_BUILTINS, SHELL_KEYWORDS, isShellSpecial } from '../src/shell-model.js';
import { ensureCommands } from './helpers/packages.js';

ensureCommands([['dash', 'dash'], ['bash', 'bash'], ['busybox', 'busybox']]);

const sh = (argv: string[], script: string): string => {
  const r = spawnSync(argv[0]!, [...argv.slice(1), script], { encoding: 'utf8', env: { PATH: '/usr/bin:/bin' } });
  return r.stdout;
};
const words = (s: string) => s.split(/\s+/).filter(Boolean);
/** What `command -V` says of each name in a shell: builtin, keyword or something else. */
function kinds(argv: string[], names: string[]): Map<string, 'builtin' | 'keyword' | 'other'> {
  const script = names.map((n) => `command -V '${n}' 2>&1 | head -n 1`).join('\n');
  const lines = sh(argv, script).split('\n');
  return new Map(names.map((n, i) => {
    const l = lines[i] ?? '';
    return [n, l === `${n} is a shell keyword` ? 'keyword' : /^is a (special )?shell builtin$/.test(l.slice(n.length + 1)) && l.startsWith(`${n} `) ? 'builtin' : 'other'];
  }));
}

const bashBuiltins = words(sh(['bash', '-c'], 'compgen -b'));
const bashKeywords = words(sh(['bash', '-c'], 'compgen -k'));
const busyboxListed = [...new Set(words(sh(['busybox', 'sh', '-c'], 'help').split('------------------')[1] ?? ''))];
const busybox = kinds(['busybox', 'sh', '-c'], [...new Set([...busyboxListed, ...SHELL_KEYWORDS, ...SHELL_BUILTINS])]);
const manPage = '/usr/share/man/man1/dash.1.gz';
const manWords = existsSync(manPage) ? words(gunzipSync(readFileSync(manPage)).toString('utf8').replace(/[^A-Za-z.:[\]{}!]+/g, ' ')) : [];
const candidates = [...new Set([...bashBuiltins, ...bashKeywords, ...busyboxListed, ...SHELL_BUILTINS, ...SHELL_KEYWORDS, ...manWords.filter((w) => w.length < 12)])];
const dash = kinds(['dash', '-c'], candidates);

const t = suite('shell model');
t('the shells were asked (the lists this test compares against are not empty)', () => {
  assert.ok(bashBuiltins.includes('cd') && bashKeywords.includes('if'));
  assert.ok(busybox.get('cd') === 'builtin' && busyboxListed.includes('let'));
  assert.is(dash.get('cd'), 'builtin');
  assert.is(dash.get('if'), 'keyword');
});
t('every bash builtin and keyword is in the lists', () => {
  for (const n of bashBuiltins) assert.ok(SHELL_BUILTINS.has(n), `~> bash builtin ${n}`);
  for (const n of bashKeywords) assert.ok(SHELL_KEYWORDS.has(n), `~> bash keyword ${n}`);
});
t('every BusyBox sh builtin and keyword is in the lists', () => {
  for (const [n, k] of busybox) {
    if (k === 'builtin') assert.ok(isShellSpecial(n), `~> busybox builtin ${n}`);
    if (k === 'keyword') assert.ok(SHELL_KEYWORDS.has(n), `~> busybox keyword ${n}`);
  }
});
t('every dash builtin and keyword among the candidates is in the lists', () => {
  for (const [n, k] of dash) {
    if (k === 'builtin') assert.ok(isShellSpecial(n), `~> dash builtin ${n}`);
    if (k === 'keyword') assert.ok(SHELL_KEYWORDS.has(n), `~> dash keyword ${n}`);
  }
});
t('every listed name is a builtin or keyword of at least one of the shells', () => {
  const all = new Set([...bashBuiltins, ...bashKeywords, ...[...busybox].filter(([, k]) => k !== 'other').map(([n]) => n), ...[...dash].filter(([, k]) => k !== 'other').map(([n]) => n)]);
  for (const n of [...SHELL_BUILTINS, ...SHELL_KEYWORDS]) assert.ok(all.has(n), `~> ${n} is special in none of dash, bash, busybox`);
});
t.run();
