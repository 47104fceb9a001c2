/**
 * Rust: rust:X-<codename> with `cargo build --release` (or `cargo install --path`), optionally copied out
 * of the release directory with cp/mv, whose binary the start command runs. Copies the binary.
 */
import { base, buildOutputs, dirOf, norm, outputHit, PATH_DIRS, programCandidates, resolve, unknownCommand } from '../common.js';
import type { Recipe } from '../recipe.js';

/**
 * Where cargo puts what it builds: `target/release` (`target/<triple>/release` with --target) for a release
 * build (https://doc.rust-lang.org/cargo/guide/build-cache.html), `$CARGO_HOME/bin` for cargo install
 * (https://doc.rust-lang.org/cargo/commands/cargo-install.html); the rust images set
 * CARGO_HOME=/usr/local/cargo and put its bin on PATH (https://github.com/rust-lang/docker-rust).
 */
const CARGO_HOME = '/usr/local/cargo';
const releaseDir = (triple: string | null | undefined) => (triple ? `target/${triple}/release` : 'target/release');
/** cargo subcommands that leave no binary to ship. */
const CARGO_NO_OUTPUT = ['fetch', 'test', 'check', 'clippy'];

export const rustRecipe: Recipe = (doc, f) => {
  const out = buildOutputs(f, ['rustup'], (c, name) => {
    if (name !== 'cargo') return unknownCommand(c, 'binary');
    const args = c.words.slice(1);
    const sub = args[0];
    if (CARGO_NO_OUTPUT.includes(sub ?? '')) return null;
    if (sub !== 'build' && sub !== 'install') return unknownCommand(c, 'binary');
    if (args.some((a) => a === null)) return { line: c.line, refuse: 'the cargo arguments use variables' };
    if ((c.assigns.get('CARGO_TARGET_DIR') ?? c.env.get('CARGO_TARGET_DIR')) !== undefined || args.some((a) => /^--(target-dir|manifest-path|root)(=|$)/.test(a!))) {
      return { line: c.line, refuse: 'cargo writes to another directory (--target-dir, --manifest-path, --root or CARGO_TARGET_DIR)' };
    }
    if (c.cwd === null) return { line: c.line, refuse: 'a `cd` earlier in the RUN makes the build directory unknown' };
    if (sub === 'install') {
      if (!args.includes('--path')) return unknownCommand(c, 'binary');
      const home = c.env.get('CARGO_HOME') ?? CARGO_HOME;
      return { dir: norm(`${home}/bin`), evidence: 'install' };
    }
    if (!args.includes('--release') && !args.includes('-r')) return null; // a debug build: not what ships
    const t = args.indexOf('--target');
    const triple = t !== -1 ? args[t + 1] : args.find((a) => a!.startsWith('--target='))?.slice('--target='.length);
    return { dir: resolve(c.cwd, releaseDir(triple)), evidence: args.includes('--release') ? '--release' : '-r' };
  });
  if ('refuse' in out) return out;
  if (out.dirs.length === 0) return { line: doc.lineOfNode(f.stage.from), refuse: 'no `cargo build --release` found, so the binary to copy cannot be told' };
  const prog = f.start.argv[0]!;
  if (base(prog) === 'cargo') return { line: doc.lineOfNode(f.start.ins), refuse: 'the start command runs cargo (cargo run), which needs the toolchain' };
  const cands = prog.includes('/') ? programCandidates(prog, f.runtimeWorkdir) : [...PATH_DIRS, `${CARGO_HOME}/bin`].map((d) => `${d}/${prog}`);
  const hit = outputHit(out, cands);
  if (!hit) return { line: doc.lineOfNode(f.start.ins), refuse: `the start command runs ${prog}, which is not a binary the cargo build writes (${out.dirs.join(', ')})` };
  // a bare name found through the rust image's PATH entry /usr/local/cargo/bin goes where the runner's PATH finds it
  const dest = !prog.includes('/') && dirOf(hit.path) === `${CARGO_HOME}/bin` ? `/usr/local/bin/${prog}` : hit.path;
  return {
    copies: [{ src: hit.path, dest, line: hit.line, evidence: hit.evidence }],
    edits: [],
    notes: [{ line: hit.line, message: 'a crate that links system libraries at run time (e.g. OpenSSL) needs them in the runner too; run the image\'s tests' }],
    what: `Rust: the binary ${hit.path}`,
  };
};
