import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { parseShell, shellViewOf, simpleCommands, stateHazard, wordLit, type ParsedShell } from '../src/shell.js';

const view = suite('shellViewOf');
view('removes escape+newline and comment lines the way BuildKit does, mapping back to offsets', () => {
  const src = 'RUN echo a \\\n  # note\n\n  && echo b';
  const v = shellViewOf(src, 4, src.length, '\\');
  assert.is(v.text, 'echo a   && echo b');
  const b = v.text.indexOf('b');
  assert.is(src[v.toDoc(b)], 'b');
  assert.is(v.toDocEnd(v.text.length), src.length);
});
view('joins words without adding a space (foo\\<newline>bar is foobar)', () => {
  const src = 'echo foo\\\nbar';
  assert.is(shellViewOf(src, 0, src.length, '\\').text, 'echo foobar');
});
view('honours a backtick escape and CRLF', () => {
  const src = 'echo a `\r\n  && b';
  assert.is(shellViewOf(src, 0, src.length, '`').text, 'echo a   && b');
});
view.run();

const parse = suite('parseShell');
parse('reports character offsets even after non-ASCII text', () => {
  const p = parseShell('echo "héllo" && cd x') as ParsedShell;
  const cd = simpleCommands(p.file).find((c) => c.words[0] === 'cd')!;
  assert.is(p.offset(cd.call.Pos()), 16);
});
parse('returns the parse error instead of throwing', () => {
  const p = parseShell('if then');
  assert.ok('error' in p && p.error.includes('must be followed by'));
});
parse('wordLit removes quotes and gives up on expansions', () => {
  const p = parseShell(`pip install -r 'req.txt' "a b" $X`) as ParsedShell;
  assert.equal(simpleCommands(p.file)[0]!.words, ['pip', 'install', '-r', 'req.txt', 'a b', null]);
  void wordLit;
});
parse.run();

const hz = suite('stateHazard');
const hazard = (s: string) => stateHazard(parseShell(s) as ParsedShell)?.reason ?? null;
hz('finds state changes in the main shell', () => {
  for (const s of ['cd /x', 'make && cd /x', 'if true; then export A=1; fi', 'for i in 1; do set -e; done', '{ cd x; }', 'command cd /x', 'A=1', 'f() { :; }', 'exec foo', 'sleep 1 &', '(sleep 1 &)', 'while false; do :; done; umask 022']) {
    assert.ok(hazard(s), `~> ${s}`);
  }
});
hz('ignores state changes in subshells, pipelines and substitutions', () => {
  for (const s of ['(cd x && make)', 'echo $(cd x; pwd)', 'cd x | cat', 'A=1 make', 'make || true', 'echo cd export']) {
    assert.is(hazard(s), null, `~> ${s}`);
  }
});
hz.run();
