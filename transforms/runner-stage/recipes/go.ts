/**
 * Go: golang:X with `go build -o PATH` (no -C, an exe build mode, GOOS linux, cgo off) whose output the
 * start command runs. Copies the binary (and the CA certificates on scratch); adds `CGO_ENABLED=0` to a
 * go build when nothing sets it.
 */
import { insertAt, type Edit } from '../../../src/edits.js';
import { base, eachCommand, isAbs, programCandidates, resolve, unknownCommand } from '../common.js';
import type { Recipe, RunnerCopy } from '../recipe.js';

/** go build flags that take a value as the next word (`go help build`, `go help buildflags`). */
const GO_VALUE_FLAGS = new Set(['-o', '-ldflags', '-gcflags', '-asmflags', '-tags', '-mod', '-p', '-buildmode', '-pkgdir', '-toolexec', '-overlay', '-pgo', '-installsuffix', '-modfile', '-compiler', '-gccgoflags', '-buildvcs', '-covermode', '-coverpkg', '-C']);

/** The CA certificates a scratch runner gets from the build stage (where Debian's and Alpine's ca-certificates put the bundle). */
const CA_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';

export const goRecipe: Recipe = (doc, f, runner) => {
  const built: { path: string; line: number; evidence: string }[] = [];
  const edits: Edit[] = [];
  const notes: { line: number; message: string }[] = [];
  const refusal = eachCommand(f, ['git'], (c, name) => {
    if (name !== 'go') return unknownCommand(c, 'Go binary');
    if (c.words[1] === 'generate' || c.words[1] === 'run') return { line: c.line, refuse: `go ${c.words[1]} runs a program that may write files the app reads at run time, which the runner (only the binary) would not have` };
    if (c.words[1] !== 'build') return; // go mod download, go vet, go test, go install of tools
    let out: string | null = null;
    for (let k = 2; k < c.words.length; k++) {
      const w = c.words[k];
      if (w === undefined) continue;
      if (w === null) {
        if (c.words[k - 1] === '-o' || c.words[k - 1] === '--o') return { line: c.line, refuse: 'the go build -o path uses a variable' };
        continue;
      }
      const flag = w.startsWith('--') ? w.slice(1) : w;
      const eq = flag.indexOf('=');
      const fname: string = eq === -1 ? flag : flag.slice(0, eq);
      const fval: string | null = eq === -1 ? null : flag.slice(eq + 1);
      if (fname === '-C') return { line: c.line, refuse: 'go build -C builds in another directory' };
      if (fname === '-buildmode' && !['exe', 'default', 'pie'].includes(fval ?? c.words[k + 1] ?? '')) return { line: c.line, refuse: 'go build -buildmode other than exe does not make a program' };
      if (fname === '-o') out = fval ?? c.words[k + 1] ?? null;
      if (GO_VALUE_FLAGS.has(fname) && fval === null) k++;
    }
    if (out === null) return { line: c.line, refuse: 'go build without -o: the binary\'s name and place depend on the module, so what to copy cannot be told' };
    if (out.endsWith('/')) return { line: c.line, refuse: 'go build -o names a directory: which binaries it writes cannot be told' };
    if (!isAbs(out) && c.cwd === null) return { line: c.line, refuse: 'a `cd` earlier in the RUN makes the go build -o path unknown' };
    const goos = c.assigns.get('GOOS') ?? c.env.get('GOOS');
    if (goos !== undefined && goos !== 'linux') return { line: c.line, refuse: `GOOS=${goos ?? '<variable>'} builds for another system` };
    const cgo = c.assigns.has('CGO_ENABLED') ? c.assigns.get('CGO_ENABLED') : c.env.get('CGO_ENABLED');
    if (cgo === '1' || cgo === null) return { line: c.line, refuse: 'CGO_ENABLED is not 0: the binary links the build image\'s C libraries, which a static runner lacks' };
    // every go build gets the edit, not only the one whose binary runs: they are all static builds then
    if (cgo === undefined) {
      edits.push(insertAt(c.view.toDoc(c.parsed.offset(c.call.Args[0].Pos())), 'CGO_ENABLED=0 '));
      notes.push({ line: c.line, message: 'set CGO_ENABLED=0 on go build so the binary is static (a package that needs cgo will now fail to build rather than fail at run time)' });
    }
    built.push({ path: resolve(c.cwd ?? '/', out), line: c.line, evidence: out });
  });
  if (refusal) return refusal;
  if (built.length === 0) return { line: doc.lineOfNode(f.stage.from), refuse: 'no `go build -o PATH` found, so the binary to copy cannot be told' };
  const prog = f.start.argv[0]!;
  if (base(prog) === 'go') return { line: doc.lineOfNode(f.start.ins), refuse: 'the start command runs the go tool (go run), which needs the toolchain' };
  const cands = programCandidates(prog, f.runtimeWorkdir);
  const bin = built.find((b) => cands.includes(b.path));
  if (!bin) return { line: doc.lineOfNode(f.start.ins), refuse: `the start command runs ${prog}, which is not the binary go build writes (${built.map((b) => b.path).join(', ')})` };
  const copies: RunnerCopy[] = [{ src: bin.path, dest: bin.path, line: bin.line, evidence: bin.evidence }];
  if (runner.image === 'scratch') copies.push({ src: CA_BUNDLE, dest: CA_BUNDLE, line: doc.lineOfNode(f.stage.from), evidence: f.stage.from.getImage() ?? '' });
  return { copies, edits, notes, what: `Go: go build -o ${bin.evidence}` };
};
