/**
 * Writing files: atomic replacement, and every way a user could lose work around it. Concurrent writers
 * are real: another process (or a real descriptor) writes the file at the exact point of the write
 * that a WriteFs hook names; the file system itself is never faked, only failures (a full disk, no
 * hard links) are injected where the real condition cannot be made. Tests that need another user run
 * as root (as CI does) and spawn the writer as `nobody`.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, chownSync, closeSync, ftruncateSync, linkSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, readlinkSync, statSync, symlinkSync, writeFileSync, writeSync } from 'node:fs';
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { nodeWriteFs, replaceFile, writeAtomic, type WriteFs } from '../src/write.js';
import { writePatchFile } from '../src/patch.js';
import { Lockfile } from '../transforms/pin-digests/lockfile.js';
import { FileError } from '../src/errors.js';
import { cleanup, cli, tree } from './helpers/tmp.js';

const WRITE_JS = fileURLToPath(new URL('../dist/src/write.js', import.meta.url));
const isRoot = process.getuid?.() === 0;
const needRoot = () => { if (!isRoot) throw new Error('this test makes files owned by another user: run the tests as root (CI does)'); };

/** Another process writes `text` into `path` in place (truncate and write, as editors and formatters do). */
function saveInPlace(path: string, text: string): void {
  const r = spawnSync(process.execPath, ['-e', `require('fs').writeFileSync(${JSON.stringify(path)}, ${JSON.stringify(text)})`]);
  assert.is(r.status, 0, String(r.stderr));
}
/** Another process saves `path` by writing a new file and renaming it over (as vim and many tools do). */
function saveByRename(path: string, text: string): void {
  const r = spawnSync(process.execPath, ['-e', `const fs = require('fs'); fs.writeFileSync(${JSON.stringify(path + '.new~')}, ${JSON.stringify(text)}); fs.renameSync(${JSON.stringify(path + '.new~')}, ${JSON.stringify(path)})`]);
  assert.is(r.status, 0, String(r.stderr));
}

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


const SAVE = 'FROM a\nRUN x\n# the user saved this meanwhile\n';

w('an in-place save by another process between the last check and the rename is put back; the write fails', async () => {
  const dir = tree({ Dockerfile: ORIGINAL });
  const p = join(dir, 'Dockerfile');
  const ino = statSync(p).ino;
  let aimed = false;
  const fs: WriteFs = { ...nodeWriteFs, rename: async (a, b) => { if (!aimed) { aimed = true; saveInPlace(b, SAVE); } return nodeWriteFs.rename(a, b); } };
  const e = await rejects(writeAtomic(p, 'Dockerfile', Buffer.from(ORIGINAL), NEW, fs));
  assert.ok(aimed);
  assert.ok(e.message.includes('another program wrote the file while dockeropt was replacing it; its version was put back'), e.message);
  assert.is(readFileSync(p, 'utf8'), SAVE, '~> the save is not lost');
  assert.is(statSync(p).ino, ino, '~> renamed back: the same file as before');
  assert.equal(readdirSync(dir), ['Dockerfile']);
  cleanup(dir);
});
w('a write through a descriptor opened before the rename and landing after it is put back too', async () => {
  const dir = tree({ Dockerfile: ORIGINAL });
  const p = join(dir, 'Dockerfile');
  const fs: WriteFs = {
    ...nodeWriteFs,
    rename: async (a, b) => {
      if (a.includes('.dockeropt-') && b === p && readFileSync(a, 'utf8') === NEW) {
        const fd = openSync(b, 'r+');
        await nodeWriteFs.rename(a, b);
        writeSync(fd, SAVE, 0);
        ftruncateSync(fd, Buffer.byteLength(SAVE));
        closeSync(fd);
        return;
      }
      return nodeWriteFs.rename(a, b);
    },
  };
  const e = await rejects(writeAtomic(p, 'Dockerfile', Buffer.from(ORIGINAL), NEW, fs));
  assert.ok(e.message.includes('its version was put back'), e.message);
  assert.is(readFileSync(p, 'utf8'), SAVE);
  assert.equal(readdirSync(dir), ['Dockerfile']);
  cleanup(dir);
});
w('a save by rename before the last check is caught: the other program\'s file stays, nothing of ours is left', async () => {
  const dir = tree({ Dockerfile: ORIGINAL });
  const p = join(dir, 'Dockerfile');
  let aimed = false;
  // the link is the last step before the final check
  const fs: WriteFs = { ...nodeWriteFs, link: async (a, b) => { await nodeWriteFs.link(a, b); if (!aimed) { aimed = true; saveByRename(p, SAVE); } } };
  const e = await rejects(writeAtomic(p, 'Dockerfile', Buffer.from(ORIGINAL), NEW, fs));
  assert.ok(aimed);
  assert.ok(e.message.includes('changed on disk since it was read'), e.message);
  assert.is(readFileSync(p, 'utf8'), SAVE);
  assert.equal(readdirSync(dir), ['Dockerfile']);
  cleanup(dir);
});
w('where hard links are not supported, the other program\'s version goes to <file>.dockeropt-conflict and the error says so', async () => {
  const dir = tree({ Dockerfile: ORIGINAL });
  const p = join(dir, 'Dockerfile');
  let aimed = false;
  const fs: WriteFs = {
    ...nodeWriteFs,
    link: async () => { throw Object.assign(new Error('EPERM'), { code: 'EPERM' }); },
    rename: async (a, b) => { if (!aimed) { aimed = true; saveInPlace(b, SAVE); } return nodeWriteFs.rename(a, b); },
  };
  const e = await rejects(writeAtomic(p, 'Dockerfile', Buffer.from(ORIGINAL), NEW, fs));
  assert.ok(e.message.includes('the other program\'s is in Dockerfile.dockeropt-conflict'), e.message);
  assert.is(readFileSync(p, 'utf8'), NEW);
  assert.is(readFileSync(join(dir, 'Dockerfile.dockeropt-conflict'), 'utf8'), SAVE);
  assert.equal(readdirSync(dir).sort(), ['Dockerfile', 'Dockerfile.dockeropt-conflict']);
  cleanup(dir);
});
w('setuid, setgid and sticky bits survive a write', async () => {
  for (const mode of [0o2750, 0o4755, 0o1644, 0o6711]) {
    const dir = tree({ Dockerfile: ORIGINAL });
    const p = join(dir, 'Dockerfile');
    chmodSync(p, mode);
    await writeAtomic(p, 'Dockerfile', Buffer.from(ORIGINAL), NEW);
    assert.is(readFileSync(p, 'utf8'), NEW);
    assert.is((statSync(p).mode & 0o7777).toString(8), mode.toString(8));
    cleanup(dir);
  }
});
w('as root, the owner and group are kept (and the setgid bit with them)', async () => {
  needRoot();
  const dir = tree({ Dockerfile: ORIGINAL });
  const p = join(dir, 'Dockerfile');
  chownSync(p, 1234, 5678);
  chmodSync(p, 0o2750);
  await writeAtomic(p, 'Dockerfile', Buffer.from(ORIGINAL), NEW);
  const st = statSync(p);
  assert.equal([st.uid, st.gid, (st.mode & 0o7777).toString(8)], [1234, 5678, '2750']);
  cleanup(dir);
});

/** writeAtomic run as `nobody` (uid/gid 65534) in a child process; its error message or 'ok'. */
function writeAsNobody(p: string): string {
  const script = `import(${JSON.stringify(WRITE_JS)}).then((w) => w.writeAtomic(${JSON.stringify(p)}, 'Dockerfile', Buffer.from(${JSON.stringify(ORIGINAL)}), ${JSON.stringify(NEW)})).then(() => console.log('ok'), (e) => console.log(e.message))`;
  const r = spawnSync(process.execPath, ['-e', script], { uid: 65534, gid: 65534, encoding: 'utf8' });
  assert.is(r.status, 0, r.stderr);
  return r.stdout.trim();
}
w('running as another user: a file it cannot write is not replaced, nor one it could write in place (it would change owner)', () => {
  needRoot();
  const dir = tree({ Dockerfile: ORIGINAL });
  chmodSync(dir, 0o777);
  const p = join(dir, 'Dockerfile');
  chmodSync(p, 0o644);
  assert.is(writeAsNobody(p), 'not written: the file belongs to uid 0 and you (uid 65534) cannot write it; the original file is unchanged');
  chmodSync(p, 0o666);
  assert.is(writeAsNobody(p), 'not written: the file belongs to uid 0 and a replacement written by you (uid 65534) would belong to you; the original file is unchanged');
  // the owner, but the file's group is not one of the user's
  chownSync(p, 65534, 0);
  chmodSync(p, 0o664);
  assert.ok(writeAsNobody(p).startsWith('not written: its group (gid 0) is not one of yours'));
  const st = statSync(p);
  assert.equal([readFileSync(p, 'utf8'), st.uid, st.gid], [ORIGINAL, 65534, 0]);
  assert.equal(readdirSync(dir), ['Dockerfile'], '~> no temp file left');
  chownSync(p, 65534, 65534);
  assert.is(writeAsNobody(p), 'ok', '~> its own file is written');
  assert.is(readFileSync(p, 'utf8'), NEW);
  cleanup(dir);
});
w('a file with more than one hard link is refused with the link count, not split into two files', async () => {
  const dir = tree({ Dockerfile: ORIGINAL });
  const p = join(dir, 'Dockerfile');
  linkSync(p, join(dir, 'Dockerfile.copy'));
  const e = await rejects(writeAtomic(p, 'Dockerfile', Buffer.from(ORIGINAL), NEW));
  assert.ok(e.message.startsWith('not written: the file has 2 hard links, and replacing it would split them into different files'), e.message);
  assert.is(readFileSync(p, 'utf8'), ORIGINAL);
  assert.is(statSync(p).ino, statSync(join(dir, 'Dockerfile.copy')).ino);
  assert.equal(readdirSync(dir).sort(), ['Dockerfile', 'Dockerfile.copy']);
  cleanup(dir);
});
w('the patch and the lockfile follow the same rules: a symlink keeps its link, a new file is created', async () => {
  const dir = tree({ 'out/changes.patch': 'old patch\n', 'locks/dockeropt.lock': '{"lockfileVersion":1,"images":{}}\n' });
  symlinkSync('out/changes.patch', join(dir, 'changes.patch'));
  symlinkSync(join(dir, 'locks/dockeropt.lock'), join(dir, 'dockeropt.lock'));
  const files = [{ file: 'Dockerfile', status: 'changed' as const, before: ORIGINAL, after: NEW, outcomes: [] }];
  await writePatchFile(join(dir, 'changes.patch'), 'changes.patch', files, { cwd: dir, root: dir });
  assert.is(readlinkSync(join(dir, 'changes.patch')), 'out/changes.patch');
  assert.ok(readFileSync(join(dir, 'out/changes.patch'), 'utf8').startsWith('--- a/Dockerfile\n+++ b/Dockerfile\n'));
  const lock = Lockfile.read(join(dir, 'dockeropt.lock'));
  lock.set('docker.io/library/node:20', 'sha256:' + 'a'.repeat(64), undefined, new Date(0));
  await lock.write();
  assert.ok(lstatSync(join(dir, 'dockeropt.lock')).isSymbolicLink());
  assert.ok(readFileSync(join(dir, 'locks/dockeropt.lock'), 'utf8').includes('docker.io/library/node:20'));
  // a dangling link names the file to create
  symlinkSync('out/new.patch', join(dir, 'new.patch'));
  await writePatchFile(join(dir, 'new.patch'), 'new.patch', files, { cwd: dir, root: dir });
  assert.ok(lstatSync(join(dir, 'new.patch')).isSymbolicLink());
  assert.ok(readFileSync(join(dir, 'out/new.patch'), 'utf8').includes('+RUN y'));
  assert.equal(readdirSync(join(dir, 'out')).sort(), ['changes.patch', 'new.patch']);
  assert.equal(readdirSync(join(dir, 'locks')), ['dockeropt.lock']);
  cleanup(dir);
});

/** A tiny file system that is full: a 64 KB tmpfs (root and mount permitted), else null. */
function tinyDisk(): { dir: string; done(): void } | null {
  if (!isRoot) return null;
  const dir = tree({});
  const m = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', dir]);
  if (m.status !== 0) { cleanup(dir); return null; }
  return { dir, done: () => { spawnSync('umount', [dir]); cleanup(dir); } };
}
w('a full disk never leaves a truncated patch: the old one stays, the message says why, no internal error', async () => {
  const big = 'FROM a\n' + Array.from({ length: 3000 }, (_, i) => `RUN echo ${i} ${'x'.repeat(20)}`).join('\n') + '\n';
  const disk = tinyDisk();
  if (disk) {
    writeFileSync(join(disk.dir, 'changes.patch'), 'old patch\n');
    const dir = tree({ Dockerfile: big });
    const r = cli(['--only', 'merge-run', '--diff-out', join(disk.dir, 'changes.patch'), '.'], dir);
    assert.is(r.status, 2, r.stderr);
    assert.ok(/changes\.patch: cannot write the patch: not written \(ENOSPC\); the original file is unchanged \(the disk is full; free space and re-run\)/.test(r.stderr), r.stderr);
    assert.not.ok(r.stderr.includes('internal error'));
    assert.is(readFileSync(join(disk.dir, 'changes.patch'), 'utf8'), 'old patch\n');
    assert.equal(readdirSync(disk.dir), ['changes.patch']);
    disk.done();
    cleanup(dir);
    console.log('    (a full 64 KB tmpfs)');
  } else {
    const dir = tree({ 'changes.patch': 'old patch\n' });
    const fs: WriteFs = { ...nodeWriteFs, writeFile: async (t, d, m) => { await nodeWriteFs.writeFile(t, d.slice(0, 100), m); throw Object.assign(new Error('ENOSPC'), { code: 'ENOSPC' }); } };
    const e = await rejects(replaceFile(join(dir, 'changes.patch'), 'changes.patch', big, fs));
    assert.ok(e.message.includes('ENOSPC') && e.hint!.includes('disk is full'));
    assert.is(readFileSync(join(dir, 'changes.patch'), 'utf8'), 'old patch\n');
    assert.equal(readdirSync(dir), ['changes.patch']);
    cleanup(dir);
    console.log('    (ENOSPC injected through WriteFs: no tmpfs mount here)');
  }
});

for (const sig of ['SIGTERM', 'SIGINT'] as const) {
  w(`${sig} removes the temp file of a write in progress before the process ends`, async () => {
    const dir = tree({ Dockerfile: ORIGINAL });
    const p = join(dir, 'Dockerfile');
    // the write stops after its temp file is written (chmod never returns) and says so; then the signal comes
    const script = `import(${JSON.stringify(WRITE_JS)}).then((w) => { w.installSignalCleanup(); const fs = { chmod: () => { console.log('ready'); return (globalThis.hang = new Promise(() => {})); } }; setInterval(() => {}, 1000); return w.writeAtomic(${JSON.stringify(p)}, 'Dockerfile', Buffer.from(${JSON.stringify(ORIGINAL)}), ${JSON.stringify(NEW)}, fs); })`;
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve) => child.stdout.on('data', (d: Buffer) => { if (d.toString().includes('ready')) resolve(); }));
    assert.equal(readdirSync(dir).length, 2, '~> the temp file is there while the write is in progress');
    child.kill(sig);
    const [, signal] = await new Promise<[number | null, string | null]>((resolve) => child.on('exit', (c, s) => resolve([c, s])));
    assert.is(signal, sig, '~> ended by the signal');
    assert.equal(readdirSync(dir), ['Dockerfile']);
    assert.is(readFileSync(p, 'utf8'), ORIGINAL);
    cleanup(dir);
  });
}
w('a later run reports the temp files an interrupted run left, and removes those older than a day', () => {
  const old = '.Dockerfile.dockeropt-4194301-0123abcd.tmp', fresh = '.Dockerfile.dockeropt-4194302-89abcdef.tmp';
  const dir = tree({ 'svc/Dockerfile': ORIGINAL, [`svc/${old}`]: 'half a Dockerfile', [`svc/${fresh}`]: 'half another' });
  const twoDays = (Date.now() - 50 * 3600e3) / 1000;
  spawnSync('touch', ['-d', `@${twoDays}`, join(dir, 'svc', old)]);
  const dry = cli(['--check', '.'], dir);
  assert.ok(dry.stderr.includes(`dockeropt: found a temp file an interrupted run left: svc/${old} (2 days old); a --write run removes it\n`), dry.stderr);
  assert.equal(readdirSync(join(dir, 'svc')).sort(), [old, fresh, 'Dockerfile'].sort(), '~> a dry run removes nothing');
  const r = cli(['--write', '.'], dir);
  assert.is(r.status, 0, r.stderr);
  assert.ok(r.stderr.includes(`dockeropt: removed a temp file an interrupted run left: svc/${old} (2 days old)`), r.stderr);
  assert.ok(r.stderr.includes(`dockeropt: found a temp file another dockeropt run made: svc/${fresh} (0 min old); if no other run is going on, delete it (a --write run removes it once it is a day old)`), r.stderr);
  assert.equal(readdirSync(join(dir, 'svc')).sort(), [fresh, 'Dockerfile'].sort());
  cleanup(dir);
});
w.run();
void mkdirSync;
