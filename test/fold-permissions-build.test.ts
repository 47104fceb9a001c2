/**
 * fold-permissions proven with a real build: the original and the rewritten Dockerfile are built with
 * Debian's buildah (chroot isolation; test/helpers/buildah.ts) from the local busybox image plus the
 * user and group the Dockerfile chowns to, and the two images must show no difference under
 * `dockeropt verify`'s comparison (type, mode incl. special bits, uid:gid, size, sha256, symlink target;
 * config) and have the same whole config, with the rewritten one smaller and with fewer layers (a fold
 * out of a chain with a comment line after it included). A deliberately wrong fold (a rounded mode) is
 * built too, to show the comparison sees a one-bit difference.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runPipeline } from '../src/pipeline.js';
import { contextFs } from '../src/context-fs.js';
import { foldPermissions } from '../transforms/fold-permissions/index.js';
import { IMAGES, build, compareImages, derive, image, scratchDir } from './helpers/buildah.js';

const test = suite('fold-permissions build');

// busybox plus a user and a group to chown to, and the directories the Dockerfile copies into
const BASE = derive(IMAGES.busybox, 'localhost/fold-busybox:latest', (root) => {
  const add = (f: string, lines: string) => writeFileSync(join(root, f), readFileSync(join(root, f), 'utf8') + lines);
  add('etc/passwd', 'app:x:1000:1000:app:/home/app:/bin/sh\n');
  add('etc/group', 'staff:x:50:\napp:x:1000:\n');
  for (const d of ['opt', 'srv']) mkdirSync(join(root, d), { recursive: true });
});

const FILES: [string, string | Buffer, number][] = [
  ['run.sh', '#!/bin/sh\necho run\n', 0o640],
  ['conf.txt', 'a=1\n', 0o644],
  ['secret.txt', 'token\n', 0o644],
  ['data.bin', Buffer.alloc(300_000, 7), 0o664],
  ['tool', '#!/bin/sh\necho tool\n', 0o755],
  ['notes.txt', 'notes\n', 0o444],
  ['a.txt', 'a\n', 0o600],
  ['b.txt', 'b\n', 0o666],
  ['plain.txt', 'plain text for ADD\n', 0o644],
  ['w.txt', 'w\n', 0o600],
];

// several COPYs before one RUN, so the proof covers many folds with few build steps (each costs seconds)
const DOCKERFILE = `FROM ${BASE}
WORKDIR /app
COPY run.sh /app/
COPY conf.txt secret.txt ./
RUN chmod +x /app/run.sh && chown app:app conf.txt secret.txt && chmod 600 conf.txt secret.txt
COPY data.bin /app/data.bin
RUN chmod go-w,u+x /app/data.bin && echo done > /app/log
COPY tool /usr/local/bin/tool
COPY notes.txt /srv/
COPY --chown=app:app a.txt /home/
RUN chown 1000 /usr/local/bin/tool && chgrp staff /srv/notes.txt && chmod u=rwx,g+u,o= /home/a.txt
COPY b.txt /app/
ADD plain.txt /opt/
RUN chmod 640 /app/b.txt \\
    && chown :app /app/b.txt \\
    && chmod 400 /opt/plain.txt \\
    && ls /app > /app/listing
COPY w.txt /srv/
RUN chmod +w,a+X,o+u /srv/w.txt \\
    # a comment line that stays
    && cat /srv/w.txt > /srv/w.copy
USER app
CMD ["sh"]
`;

test('the folded Dockerfile builds an identical, smaller image', async () => {
  const ctx = scratchDir('fold-ctx-');
  for (const [name, content, mode] of FILES) {
    writeFileSync(join(ctx, name), content);
    chmodSync(join(ctx, name), mode); // git keeps only 644/755: the modes are set here
  }
  const r = await runPipeline(DOCKERFILE, { transforms: [foldPermissions], buildContext: contextFs(ctx), file: 'Dockerfile' });
  const rewrites = r.outcomes.filter((o) => o.kind === 'rewrite');
  assert.equal(r.outcomes.filter((o) => o.kind !== 'rewrite').map((o) => o.message), [], 'no refusal');
  assert.is(rewrites.length, 5);
  // the exact flags
  for (const flag of ['COPY --chmod=751 run.sh', 'COPY --chown=app:app --chmod=600 conf.txt', 'COPY --chmod=744 data.bin', 'COPY --chown=1000:0 tool',
    'COPY --chown=0:staff notes.txt', 'COPY --chmod=770 --chown=app:app a.txt', 'COPY --chown=0:app --chmod=640 b.txt', 'ADD --chmod=400 plain.txt', 'COPY --chmod=606 w.txt']) {
    assert.ok(r.text.includes(flag), `~> ${flag} in:\n${r.text}`);
  }
  assert.not.ok(/chmod|chown|chgrp/.test(r.text.split('\n').filter((l) => !l.startsWith('COPY') && !l.startsWith('ADD')).join('\n')), r.text);

  await build(DOCKERFILE, ctx, 'localhost/fold-before', { noCache: true });
  await build(r.text, ctx, 'localhost/fold-after', { noCache: true });
  const [before, after] = await Promise.all([image('localhost/fold-before'), image('localhost/fold-after')]);
  assert.equal(compareImages(before, after), [], 'identical files, modes, owners and config');
  assert.ok(after.size.bytes < before.size.bytes, `~> smaller: ${before.size.bytes} -> ${after.size.bytes} bytes`);
  assert.ok(after.size.layers < before.size.layers, `~> fewer layers: ${before.size.layers} -> ${after.size.layers}`);
  // the two copies of data.bin (300 kB) are gone at least
  assert.ok(before.size.bytes - after.size.bytes >= 300_000, `~> saved ${before.size.bytes - after.size.bytes} bytes`);

  // the comparison sees a one-bit difference: the last fold with 604 instead of the exact 606 (built
  // on the cached layers of the rewritten file, so only the last steps run again)
  await build(r.text.replace('--chmod=606', '--chmod=604'), ctx, 'localhost/fold-wrong');
  assert.equal(compareImages(before, await image('localhost/fold-wrong')), ['~ /srv/w.txt: mode 0606 -> 0604']);
});

test.run();
