import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigResolver, configSchema, loadConfig, matchIgnore, parseIgnore, settingsFrom, validateConfig } from '../src/config.js';
import { UsageError } from '../src/errors.js';
import { optimize } from '../src/index.js';
import { mergeRun } from '../transforms/merge-run.js';
import { nonRoot } from '../transforms/non-root.js';
import { transforms as builtIn } from '../transforms/index.js';
import { cleanup, tree } from './helpers/tmp.js';
import { labelTransform } from './helpers/batch.js';
import type { Transform } from '../src/types.js';

const withOptions: Transform = {
  id: 'opts', summary: 'x', safety: 'build-only', apply: () => [],
  defaults: { name: 'a', count: 3, flag: false, list: [] as string[], map: {}, maybe: null },
  parseOptions(raw) {
    if (typeof raw.count === 'number' && raw.count > 10) throw new UsageError('--count must be at most 10');
    return raw;
  },
};
const all = [mergeRun, labelTransform, withOptions];
const MERGEABLE = 'FROM debian:12\nRUN apt-get update\nRUN apt-get install -y curl\n';

function usageError(fn: () => unknown): string {
  try { fn(); } catch (e) { if (e instanceof UsageError) return e.message; throw e; }
  throw new Error('expected a UsageError');
}

const validation = suite('config: validation');
validation('accepts every documented key', () => {
  const c = validateConfig({ $schema: 'x', only: ['merge-run'], skip: [], options: { opts: { name: 'b', count: 2, flag: true, list: ['x'], map: { a: 'b' }, maybe: 'y' } }, ignore: ['legacy/'], safeOnly: true }, 'f.json', all);
  assert.equal(c.options, { opts: { name: 'b', count: 2, flag: true, list: ['x'], map: { a: 'b' }, maybe: 'y' } });
  assert.equal(c.only, ['merge-run']);
  assert.is(c.safeOnly, true);
});
validation('unknown keys and bad values are errors naming the file and the key', () => {
  assert.is(usageError(() => validateConfig({ onyl: [] }, 'svc/.dockeroptrc.json', all)), 'svc/.dockeroptrc.json: "onyl" is not a dockeropt setting');
  assert.is(usageError(() => validateConfig({ only: ['merge-run', 'nope'] }, 'f.json', all)), 'f.json: "only[1]" names an unknown transform "nope"');
  assert.is(usageError(() => validateConfig({ skip: 'merge-run' }, 'f.json', all)), 'f.json: "skip" must be an array of transform ids');
  assert.is(usageError(() => validateConfig({ options: { nope: {} } }, 'f.json', all)), 'f.json: "options.nope" names an unknown transform');
  assert.is(usageError(() => validateConfig({ options: { opts: { nmae: 'x' } } }, 'f.json', all)), 'f.json: "options.opts.nmae" is not an option of opts');
  assert.is(usageError(() => validateConfig({ options: { opts: { count: '3' } } }, 'f.json', all)), 'f.json: "options.opts.count" must be a number (got "3")');
  assert.is(usageError(() => validateConfig({ options: { opts: { flag: 1 } } }, 'f.json', all)), 'f.json: "options.opts.flag" must be true or false (got 1)');
  assert.is(usageError(() => validateConfig({ options: { opts: { list: 'x' } } }, 'f.json', all)), 'f.json: "options.opts.list" must be an array of strings (got "x")');
  assert.is(usageError(() => validateConfig({ options: { opts: { maybe: 3 } } }, 'f.json', all)), 'f.json: "options.opts.maybe" must be a string or null (got 3)');
  assert.is(usageError(() => validateConfig({ options: { opts: { count: 11 } } }, 'f.json', all)), 'f.json: "options.opts" is not valid: --count must be at most 10');
  assert.is(usageError(() => validateConfig({ options: { 'merge-run': { x: 1 } } }, 'f.json', all)), 'f.json: "options.merge-run.x" is not an option of merge-run');
  assert.is(usageError(() => validateConfig({ ignore: [1] }, 'f.json', all)), 'f.json: "ignore" must be an array of glob patterns (strings)');
  assert.is(usageError(() => validateConfig({ safeOnly: 'yes' }, 'f.json', all)), 'f.json: "safeOnly" must be true or false');
  assert.is(usageError(() => validateConfig([], 'f.json', all)), 'f.json: must be a JSON object');
  assert.is(usageError(() => validateConfig({ only: ['merge-run'], skip: ['merge-run'] }, 'f.json', all)), 'f.json: "skip" also names merge-run, which "only" selects');
});
validation('a real transform\'s option values go through its parseOptions (non-root user)', () => {
  const msg = usageError(() => validateConfig({ options: { 'non-root': { user: 'root' } } }, 'f.json', [nonRoot]));
  assert.ok(msg.startsWith('f.json: "options.non-root" is not valid: --user: "root" is root'), msg);
  validateConfig({ options: { 'non-root': { user: '10001', writable: ['/data'] } } }, 'f.json', [nonRoot]);
});
validation('broken JSON and a package.json without the key are errors naming the file', () => {
  const dir = tree({ 'bad.json': '{ "only": [', 'package.json': '{"name":"x"}' });
  assert.ok(usageError(() => loadConfig(join(dir, 'bad.json'), all)).startsWith(`${join(dir, 'bad.json')}: not valid JSON`));
  assert.is(usageError(() => loadConfig(join(dir, 'package.json'), all)), `${join(dir, 'package.json')}: has no "dockeropt" key`);
  cleanup(dir);
});
validation.run();

const discovery = suite('config: discovery');
discovery('the nearest config wins, walking up from the Dockerfile; each file name counts; no merging', () => {
  const dir = tree({
    '.dockeroptrc.json': '{"skip":["add-label"]}',
    'a/Dockerfile': '', 'b/deep/er/Dockerfile': '',
    'b/dockeropt.config.json': '{"only":["add-label"]}',
    'c/package.json': '{"name":"c","dockeropt":{"ignore":["x"]}}', 'c/Dockerfile': '',
    'd/package.json': '{"name":"d"}', 'd/Dockerfile': '',
  });
  const r = new ConfigResolver(dir, all);
  assert.is(r.configFor(join(dir, 'a/Dockerfile'))!.file, join(dir, '.dockeroptrc.json'));
  assert.equal(r.configFor(join(dir, 'b/deep/er/Dockerfile'))!.config, { only: ['add-label'] });
  assert.equal(r.configFor(join(dir, 'c/Dockerfile'))!.config, { ignore: ['x'] });
  // a package.json without the key is not a config: the search goes on up
  assert.is(r.configFor(join(dir, 'd/Dockerfile'))!.file, join(dir, '.dockeroptrc.json'));
  cleanup(dir);
});
discovery('the walk stops at the repository root; two configs in one directory are an error', () => {
  const dir = tree({ '.dockeroptrc.json': '{"skip":["add-label"]}', 'repo/svc/Dockerfile': '', 'two/.dockeroptrc.json': '{}', 'two/dockeropt.config.json': '{}', 'two/Dockerfile': '' });
  assert.is(new ConfigResolver(join(dir, 'repo'), all).configFor(join(dir, 'repo/svc/Dockerfile')), null);
  assert.ok(usageError(() => new ConfigResolver(dir, all).configFor(join(dir, 'two/Dockerfile'))).includes('more than one dockeropt config (.dockeroptrc.json, dockeropt.config.json)'));
  cleanup(dir);
});
discovery('--config overrides the search for every file', () => {
  const dir = tree({ 'x.json': '{"only":["merge-run"]}', 'a/.dockeroptrc.json': '{"only":["add-label"]}', 'a/Dockerfile': '' });
  const r = new ConfigResolver(dir, all, loadConfig(join(dir, 'x.json'), all));
  assert.equal(r.configFor(join(dir, 'a/Dockerfile'))!.config, { only: ['merge-run'] });
  cleanup(dir);
});
discovery.run();

const ignore = suite('config: ignore patterns');
ignore('gitignore syntax: unanchored names, anchored paths, directories, **, negation, escapes', () => {
  const rules = parseIgnore('# comment\nlegacy/\n/top.Dockerfile\nvendor/**/Dockerfile\n*.old\n!keep.old\n\\#hash\n  \ndocs/*/Dockerfile\n');
  const m = (p: string) => matchIgnore(rules, p);
  assert.ok(m('legacy/Dockerfile'));
  assert.ok(m('a/legacy/b/Dockerfile'));
  assert.not.ok(m('legacy'), 'legacy/ matches directories only');
  assert.ok(m('top.Dockerfile'));
  assert.not.ok(m('a/top.Dockerfile'));
  assert.ok(m('vendor/Dockerfile'));
  assert.ok(m('vendor/x/y/Dockerfile'));
  assert.ok(m('svc/Dockerfile.old'));
  assert.not.ok(m('keep.old'));
  assert.ok(m('#hash'));
  assert.ok(m('docs/a/Dockerfile'));
  assert.not.ok(m('docs/a/b/Dockerfile'));
  assert.not.ok(m('svc/Dockerfile'));
});
ignore('a file inside an ignored directory cannot be re-included', () => {
  const rules = parseIgnore('build/\n!build/Dockerfile\n');
  assert.ok(matchIgnore(rules, 'build/Dockerfile'));
});
ignore('.dockeroptignore at the root and a config\'s ignore (relative to its directory) leave files out of a run', async () => {
  const dir = tree({
    '.dockeroptignore': 'legacy/\n', 'legacy/Dockerfile': MERGEABLE,
    'svc/.dockeroptrc.json': '{"ignore":["old/"]}', 'svc/old/Dockerfile': MERGEABLE, 'svc/new/Dockerfile': MERGEABLE,
    'old/Dockerfile': MERGEABLE,
  });
  const r = await optimize({ cwd: dir, transforms: [mergeRun] });
  assert.equal(r.files.map((f) => f.file), ['old/Dockerfile', 'svc/new/Dockerfile']);
  const none = await optimize({ cwd: dir, transforms: [mergeRun], config: false });
  assert.is(none.files.length, 4);
  cleanup(dir);
});
ignore.run();

const precedence = suite('config: precedence');
precedence('command-line selection replaces the config\'s; options merge per key, the command line winning', () => {
  const config = { skip: ['add-label'], options: { opts: { name: 'c', count: 2 } } };
  assert.equal(settingsFrom(all, config).transforms.map((t) => t.id), ['merge-run', 'opts']);
  assert.equal(settingsFrom(all, config, { only: ['add-label'] }).transforms.map((t) => t.id), ['add-label']);
  assert.equal(settingsFrom(all, config, { options: { opts: { count: 5 } } }).options, { opts: { name: 'c', count: 5 } });
  assert.is(settingsFrom(all, { safeOnly: true }).safeOnly, true);
});
precedence('per-directory options reach the transform', async () => {
  const dir = tree({
    'a/Dockerfile': 'FROM x\nRUN a\n', 'b/Dockerfile': 'FROM x\nRUN a\n',
    'b/.dockeroptrc.json': '{"options":{"add-label":{"value":"from-b"}}}',
  });
  const r = await optimize({ cwd: dir, transforms: [labelTransform], runtime: true });
  assert.equal(r.files.map((f) => f.after), ['FROM x\nLABEL tested=yes\nRUN a\n', 'FROM x\nLABEL tested=from-b\nRUN a\n']);
  cleanup(dir);
});
precedence('a config\'s "runtime": true applies runtime changes under it; "safeOnly": true wins over the caller\'s runtime', async () => {
  const dir = tree({
    'a/Dockerfile': 'FROM x\nRUN a\n', 'b/Dockerfile': 'FROM x\nRUN a\n', 'c/Dockerfile': 'FROM x\nRUN a\n',
    'b/.dockeroptrc.json': '{"runtime":true}', 'c/.dockeroptrc.json': '{"safeOnly":true}',
  });
  const r = await optimize({ cwd: dir, transforms: [labelTransform] });
  assert.equal(r.files.map((f) => f.status), ['unchanged', 'changed', 'unchanged']);
  const all = await optimize({ cwd: dir, transforms: [labelTransform], runtime: true });
  assert.equal(all.files.map((f) => f.status), ['changed', 'changed', 'unchanged']);
  cleanup(dir);
});
precedence('a bad config stops the run before anything is written', async () => {
  const dir = tree({ 'a/Dockerfile': MERGEABLE, 'b/Dockerfile': MERGEABLE, 'b/.dockeroptrc.json': '{"skpi":[]}' });
  try {
    await optimize({ cwd: dir, transforms: [mergeRun], write: true });
    assert.unreachable('expected a UsageError');
  } catch (e) {
    assert.instance(e, UsageError);
    assert.ok((e as Error).message.endsWith('.dockeroptrc.json: "skpi" is not a dockeropt setting'));
  }
  assert.is(readFileSync(join(dir, 'a/Dockerfile'), 'utf8'), MERGEABLE);
  cleanup(dir);
});
precedence.run();

const schema = suite('config: JSON Schema');
schema('schema/dockeropt.schema.json is the schema of the built-in transforms (UPDATE_SCHEMA=1 regenerates it)', () => {
  const path = fileURLToPath(new URL('../schema/dockeropt.schema.json', import.meta.url));
  const want = JSON.stringify(configSchema(builtIn), null, 2) + '\n';
  if (process.env.UPDATE_SCHEMA === '1') writeFileSync(path, want);
  assert.fixture(readFileSync(path, 'utf8'), want);
});
schema('the schema accepts what the validator accepts and rejects an unknown key', async () => {
  const { default: Ajv } = await import('ajv');
  const ajv = new (Ajv as any)({ strict: false });
  const validate = ajv.compile(configSchema([nonRoot, mergeRun]));
  assert.ok(validate({ $schema: './schema/dockeropt.schema.json', skip: ['merge-run'], options: { 'non-root': { user: '10001', writable: ['/data'] } }, ignore: ['legacy/'] }));
  assert.not.ok(validate({ options: { 'non-root': { usr: '1' } } }));
  assert.not.ok(validate({ onyl: [] }));
});
schema.run();
