import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, lstatSync, readdirSync, readFileSync, readlinkSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { nodeWriteFs, writeAtomic, type WriteFs } from '../src/write.js';
import { FileError } from '../src/errors.js';
import { cleanup, tree } from './helpers/tmp.js';

const ORIGINAL = 'FROM a\nRUN x\n';
const NEW = 'FROM a\nRUN y\n';

async function rejects(p: Promise<unknown>): Promise<FileError> {
  try { await p; } catch (e) { assert.instance(e, FileError); return e as FileError; }
  throw new Error('expected a FileError');
}

const w = suite('writeAtomic');
w('replaces the file through a temp file and keeps its mode', async () => {
  const dir = tree({ Dockerfile: ORIGINAL });
  const p = join(dir, 'Dockerfile');
  chmodSync(p, 0o600);
  await writeAtomic(p, 'Dockerfile', Buffer.from(ORIGINAL), NEW);
  assert.is(readFileSync(p, 'utf8'), NEW);
  assert.is(statSync(p).mode & 0o777, 0o600);
  assert.equal(readdirSync(dir), ['Dockerfile']);
  cleanup(dir);
});
w('writes the target of a symlink and keeps the link', async () => {
  const dir = tree({ 'real/Dockerfile': ORIGINAL });
  symlinkSync(join(dir, 'real/Dockerfile'), join(dir, 'Dockerfile'));
  await writeAtomic(join(dir, 'Dockerfile'), 'Dockerfile', Buffer.from(ORIGINAL), NEW);
  assert.ok(lstatSync(join(dir, 'Dockerfile')).isSymbolicLink());
  assert.is(readlinkSync(join(dir, 'Dockerfile')), join(dir, 'real/Dockerfile'));
  assert.is(readFileSync(join(dir, 'real/Dockerfile'), 'utf8'), NEW);
  cleanup(dir);
});
w('refuses when the file changed on disk since it was read', async () => {
  const dir = tree({ Dockerfile: ORIGINAL });
  const p = join(dir, 'Dockerfile');
  writeFileSync(p, ORIGINAL + '# edited meanwhile\n');
  const e = await rejects(writeAtomic(p, 'Dockerfile', Buffer.from(ORIGINAL), NEW));
  assert.ok(e.message.includes('changed on disk since it was read'));
  assert.is(e.file, 'Dockerfile');
  assert.is(readFileSync(p, 'utf8'), ORIGINAL + '# edited meanwhile\n');
  cleanup(dir);
});
w('refuses when the file was deleted since it was read', async () => {
  const dir = tree({});
  const e = await rejects(writeAtomic(join(dir, 'Dockerfile'), 'Dockerfile', Buffer.from(ORIGINAL), NEW));
  assert.ok(e.message.includes('no longer exists'));
  cleanup(dir);
});
for (const [name, code, hint] of [['rename fails', 'EXDEV', 're-run'], ['the disk is full', 'ENOSPC', 'disk is full'], ['the directory is read-only', 'EACCES', 'not writable']] as const) {
  w(`keeps the original intact and cleans up when ${name}`, async () => {
    const dir = tree({ Dockerfile: ORIGINAL });
    const p = join(dir, 'Dockerfile');
    const fail = () => Object.assign(new Error(code), { code });
    const fs: WriteFs = code === 'EXDEV'
      ? { ...nodeWriteFs, rename: async () => { throw fail(); } }
      : { ...nodeWriteFs, writeFile: async (t, d, m) => { await nodeWriteFs.writeFile(t, d.slice(0, 3), m); throw fail(); } };
    const e = await rejects(writeAtomic(p, 'Dockerfile', Buffer.from(ORIGINAL), NEW, fs));
    assert.ok(e.message.includes(code), e.message);
    assert.ok(e.hint?.includes(hint), e.hint);
    assert.ok(e.message.includes('original file is unchanged'));
    assert.is(readFileSync(p, 'utf8'), ORIGINAL);
    assert.equal(readdirSync(dir), ['Dockerfile'], '~> the temp file is removed');
    cleanup(dir);
  });
}
w.run();
