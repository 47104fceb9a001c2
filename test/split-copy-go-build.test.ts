/**
 * split-copy proven with real Go builds (issue 14): a Go module that requires example.com/greet v1.0.0
 * is built before and after the rewrite with Debian's buildah (chroot isolation) FROM the golang:1.19
 * stand-in of test/helpers/buildah.ts (Debian's Go 1.19), and the images must show no difference under
 * `dockeropt verify`'s comparison (type, mode, owner, size, content, link target of every file; config)
 * and have the same whole config. The rewrite inserts `go mod download` before `go build`, after
 * copying go.mod and go.sum first (copy style) or bind-mounting them (bind style); a multi-stage build
 * copies only the binary into busybox.
 *
 * No network: the dependency comes from a module proxy on disk (test/helpers/goproxy.ts: real zips,
 * go.sum with real h1: hashes), baked into a fixture image layered on golang:1.19 at /goproxy with
 * GOPROXY=file:///goproxy and GOSUMDB=off in its config (so the proxy is no COPY of the build context
 * that split-copy would reason about, and both Dockerfiles see it the same way). That is why the
 * Dockerfiles say FROM localhost/golang-goproxy:1.19 rather than golang:1.19. go runs with its default
 * -mod=readonly: every download is checked against go.sum, and a go.sum with a wrong hash fails the
 * build (a test below), so the hashes are real.
 *
 * What is not compared, and why (everything else is, byte for byte: the module cache /go/pkg/mod,
 * which `go mod download` fills in the rewrite and `go build` in the original, is identical):
 * - UNSTABLE, the content of two kinds of files in Go's build cache (GOCACHE, /root/.cache/go-build):
 *   the action entries `<xx>/<action id>-a` ("v1 <action id> <output id> <size> <time>": the time the
 *   entry was written, in Unix nanoseconds) and trim.txt (the time of the last trim). Their presence,
 *   modes and owners are compared, and so is every output `<xx>/<output id>-d`.
 * - In the rewrite, one package-index entry more in the build cache (an `-a` naming a `-d` that starts
 *   "go index v1"), checked by `differences()`: Go 1.19's cmd/go/internal/modindex caches an index of a
 *   package in the module cache (read.go, openIndexPackage), but dirHash refuses to when one of its
 *   files is less than 2 seconds old (modTimeCutoff, against mtime precision). In the original,
 *   example.com/greet is extracted by the same `go build` that reads it, so it is never indexed; in the
 *   rewrite `go mod download` extracted it in an earlier RUN, so it is, unless that was less than 2 s
 *   before. The index is derived from files that are the same in both images, it changes no build's
 *   output (the binaries are byte-identical, and the multi-stage final image has no difference at all),
 *   and its action id hashes the files' mtimes, so it differs from build to build anyway. A planted
 *   `go vet` shows that other additions to the build cache are not passed over.
 *
 * Every build is started up front (the originals first, the rewrites at most three at a time); each
 * test awaits its own.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, writeFileSync, cpSync } from 'node:fs';
import { join } from 'node:path';
import { runPipeline } from '../src/pipeline.js';
import { contextFs } from '../src/context-fs.js';
import { splitCopy } from '../transforms/split-copy/index.js';
import { IMAGES, build, compareImages, derive, early, golangImage, image, limiter, readImageFiles, scratchDir, type Image } from './helpers/buildah.js';
import { writeGoProxy, type GoModule } from './helpers/goproxy.js';

const GREET: GoModule = {
  path: 'example.com/greet', version: 'v1.0.0',
  files: {
    'go.mod': 'module example.com/greet\n\ngo 1.19\n',
    'greet.go': '// Package greet greets.\npackage greet\n\n// Hello greets name.\nfunc Hello(name string) string { return "hello, " + name }\n',
    'LICENSE': 'Public domain.\n',
  },
};

// the proxy, baked into a fixture image on golang:1.19 (made first: it can take a minute or two, once)
const proxyDir = scratchDir('goproxy-');
const GO_SUM = writeGoProxy(proxyDir, [GREET]);
const GO_IMAGE = derive(golangImage(), 'localhost/golang-goproxy:1.19', (root) => cpSync(proxyDir, join(root, 'goproxy'), { recursive: true }), ['--env', 'GOPROXY=file:///goproxy', '--env', 'GOSUMDB=off']);

const GO_MOD = 'module example.com/app\n\ngo 1.19\n\nrequire example.com/greet v1.0.0\n';
const MAIN = 'package main\n\nimport (\n\t"fmt"\n\n\t"example.com/greet"\n)\n\nfunc main() { fmt.Println(greet.Hello("split-copy")) }\n';

/** A build context with the app: go.mod, go.sum (or `sum`), main.go, and `extra` files. */
function context(goMod = GO_MOD, sum = GO_SUM, extra: Record<string, string> = {}): string {
  const dir = scratchDir('go-ctx-');
  const files = { 'go.mod': goMod, 'go.sum': sum, 'main.go': MAIN, '.dockerignore': 'Dockerfile*\n', ...extra };
  for (const [f, text] of Object.entries(files)) { mkdirSync(join(dir, f, '..'), { recursive: true }); writeFileSync(join(dir, f), text); }
  return dir;
}
const ctxDir = context();

const SINGLE = [
  `FROM ${GO_IMAGE}`,
  'WORKDIR /src',
  'COPY . .',
  'RUN go build -o /out/app .',
  'RUN /out/app > /out/greeting.txt',
  'CMD ["/out/app"]',
  '',
].join('\n');

const MULTI = [
  `FROM ${GO_IMAGE} AS build`,
  'WORKDIR /src',
  'COPY . .',
  'RUN go build -o /out/app .',
  '',
  `FROM ${IMAGES.busybox}`,
  'COPY --from=build /out/app /usr/local/bin/app',
  'RUN app > /greeting.txt',
  'CMD ["app"]',
  '',
].join('\n');

/** The rewritten text, what a second run makes of it, and the outcomes. */
async function rewritten(text: string, style: 'copy' | 'bind', dir = ctxDir) {
  const opts = { transforms: [splitCopy], buildContext: contextFs(dir), file: join(dir, 'Dockerfile'), options: { 'split-copy': { style } } };
  const first = await runPipeline(text, opts);
  return { once: first.text, twice: (await runPipeline(first.text, opts)).text, outcomes: first.outcomes };
}

const texts = { copy: await rewritten(SINGLE, 'copy'), bind: await rewritten(SINGLE, 'bind'), multi: await rewritten(MULTI, 'copy') };

/** Go's build cache files that hold the time they were written (see the header): their content is not compared. */
const UNSTABLE = [/^\/root\/\.cache\/go-build\/[0-9a-f]{2}\/[0-9a-f]{64}-a$/, /^\/root\/\.cache\/go-build\/trim\.txt$/];
const GOCACHE_ENTRY = /^\+ (\/root\/\.cache\/go-build\/[0-9a-f]{2}\/([0-9a-f]{64})-([ad])) \(only in the rewritten image: file 0644 0:0 /;

/**
 * The differences verify's comparison finds, less the content of UNSTABLE files (a difference of mode,
 * owner or type there still counts) and less the package index entries Go may add in the rewrite (see
 * the header), each checked: an action entry `-a` naming an output `-d` that is a package index
 * ("go index v1"), both only in the rewritten image.
 */
function differences(want: Image, got: Image): string[] {
  const lines = compareImages(want, got, { unstable: UNSTABLE }).filter((l) => {
    const m = /^~ (\S+): (content differs|size \S+ \S+ -> \S+ \S+)$/.exec(l);
    return !(m && UNSTABLE.some((r) => r.test(m[1]!)));
  });
  const added = lines.map((l) => GOCACHE_ENTRY.exec(l)).filter((m) => m !== null);
  if (added.length === 0 || added.length !== lines.length || added.length % 2 !== 0) return lines;
  const files = readImageFiles(got.tag, added.map((m) => m[1]!));
  const outputs = new Set(added.filter((m) => m[3] === 'd').map((m) => m[2]!));
  for (const m of added) {
    const text = files.get(m[1]!) ?? '';
    // an action entry: "v1 <action id> <output id> <size> <time>"; its output must be one of the added ones
    const ok = m[3] === 'd' ? text.startsWith('go index v1') : (() => { const f = text.trim().split(' '); return f[0] === 'v1' && f[1] === m[2] && outputs.delete(f[2]!); })();
    if (!ok) return lines;
  }
  return outputs.size === 0 ? [] : lines;
}

const pool = limiter(3);
const tagged = (text: string, tag: string, dir = ctxDir) => build(text, dir, `localhost/go-${tag}:test`).then(() => image(`localhost/go-${tag}:test`));
const originals = { single: early(() => tagged(SINGLE, 'single')), multi: early(() => tagged(MULTI, 'multi')) };
const built = (want: keyof typeof originals, text: string, tag: string) => early(async () => ({ want: await originals[want], got: await pool(() => tagged(text, tag)) }));
// a planted change to the build cache: go vet after the build adds its own cache entries, not index entries
const planted = texts.copy.once.replace(/^RUN go build -o \/out\/app \.$/m, 'RUN go build -o /out/app . && go vet .');
const images = {
  copy: built('single', texts.copy.once, 'copy'), bind: built('single', texts.bind.once, 'bind'), multi: built('multi', texts.multi.once, 'multi-copy'),
  planted: built('single', planted, 'planted'),
};

async function sameImage(which: keyof typeof texts) {
  assert.is(texts[which].twice, texts[which].once, 'a second run changes nothing');
  const { want, got } = await images[which];
  assert.equal(differences(want, got), [], `${which}: the images differ`);
  return got;
}

const test = suite('split-copy: real Go builds (buildah, a local module proxy) give the same image');

test('copy style: COPY go.mod go.sum, go mod download, COPY . ., go build; the binary runs', async () => {
  assert.equal(texts.copy.outcomes.map((o) => o.kind), ['rewrite'], JSON.stringify(texts.copy.outcomes));
  assert.match(texts.copy.once, /^WORKDIR \/src\nCOPY go\.mod go\.sum \.\/\nRUN go mod download\nCOPY \. \.\nRUN go build -o \/out\/app \.\n/m);
  const got = await sameImage('copy');
  // the dependency came from the proxy into the module cache, and the program was built with it
  assert.is(got.tree.get('/go/pkg/mod/example.com/greet@v1.0.0/greet.go')?.type, 'file');
  assert.is(readImageFiles(got.tag, ['/out/greeting.txt']).get('/out/greeting.txt'), 'hello, split-copy\n');
});

test('bind style: go.mod and go.sum bind-mounted into go mod download, no manifest COPY', async () => {
  const text = texts.bind.once;
  assert.match(text, /^RUN --mount=type=bind,source=go\.mod,target=\/src\/go\.mod \\\n    --mount=type=bind,source=go\.sum,target=\/src\/go\.sum \\\n    go mod download\nCOPY \. \.\n/m);
  assert.not.match(text, /^COPY go\./m);
  // the bind mounts' targets exist only during the RUN: /src/go.mod and go.sum arrive with COPY . . as before
  const got = await sameImage('bind');
  assert.is(readImageFiles(got.tag, ['/out/greeting.txt']).get('/out/greeting.txt'), 'hello, split-copy\n');
});

test('multi-stage: the build stage is split, the final image (busybox + the binary) is identical', async () => {
  assert.match(texts.multi.once, /^FROM \S+ AS build\nWORKDIR \/src\nCOPY go\.mod go\.sum \.\/\nRUN go mod download\nCOPY \. \.\n/m);
  // the final stage holds no cache: nothing may differ, the binary is byte-identical
  const got = await sameImage('multi');
  assert.is(got.tree.get('/usr/local/bin/app')?.type, 'file');
  assert.is(readImageFiles(got.tag, ['/greeting.txt']).get('/greeting.txt'), 'hello, split-copy\n');
});

test('the comparison sees a difference in the build cache: a planted go vet after go build differs', async () => {
  assert.ok(planted.includes('&& go vet .'));
  const { want, got } = await images.planted;
  const lines = differences(want, got);
  // only additions under the build cache, and not all of them index entries, so none is passed over
  assert.ok(lines.length > 0, 'the planted go vet must show');
  assert.ok(lines.every((l) => l.startsWith('+ /root/.cache/go-build/')), lines.join('\n'));
});

test('refused: go.mod replaces the dependency with a local directory (the original builds)', async () => {
  const dir = context(`${GO_MOD}\nreplace example.com/greet => ./greet\n`, '', { 'greet/go.mod': GREET.files['go.mod']!, 'greet/greet.go': GREET.files['greet.go']! });
  const r = await rewritten(SINGLE, 'copy', dir);
  assert.is(r.once, SINGLE);
  assert.equal(r.outcomes.map((o) => o.kind), ['refuse']);
  assert.match(r.outcomes[0]!.message, /go\.mod replaces example\.com\/greet with the local directory \.\/greet, which needs files of the source/);
  // go mod download before COPY . . could not see ./greet; the original, with the whole source, builds
  const got = await pool(() => tagged(SINGLE, 'replace', dir));
  assert.is(readImageFiles(got.tag, ['/out/greeting.txt']).get('/out/greeting.txt'), 'hello, split-copy\n');
});

test('go.sum is checked: a wrong hash fails the build', async () => {
  const wrong = GO_SUM.replace(/^(example\.com\/greet v1\.0\.0 h1:)\S+/m, '$1AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=');
  assert.not.equal(wrong, GO_SUM);
  const err = await pool(() => tagged(SINGLE, 'wrong-sum', context(GO_MOD, wrong))).then(() => null, (e: Error) => e.message);
  assert.ok(err !== null, 'the build with a wrong go.sum must fail');
  assert.match(err!, /checksum mismatch|SECURITY ERROR/);
});

test.run();
