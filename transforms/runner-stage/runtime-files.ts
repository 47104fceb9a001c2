/**
 * The runner must run what the old image ran. The Go, Rust and Java runners get only the built program
 * (the binary, the jar), not the source tree the build stage had: an app that reads a template, a static
 * file, a migration or a config file from that tree at run time would not find it. So every file the
 * COPY lines put into the build stage must be source or build-only (by its name, per toolchain), or
 * compiled into the program (Go `//go:embed`, Rust `include_str!`/`include_bytes!`/`include_dir!`/
 * rust-embed `#[folder]`/sqlx `migrate!`, Java resources under `src/main/resources`, which the jar
 * holds); the first file that is neither refuses, named, and so does a file the start command names (a
 * `-config /src/config.yaml`, even a source file such as a .proto). An unknown context refuses too.
 */
import type { DocView } from '../../src/document.js';
import type { Toolchain } from '../../src/base-images.js';
import type { ContextFs } from '../../src/types.js';
import { copiedFiles, type CopiedFile } from './context.js';
import type { StageFacts } from './facts.js';
import { resolve } from './common.js';
import type { Refusal } from './recipe.js';

/** Files no program reads at run time: version control, CI, editor and container files, docs, make files. */
const BUILD_ONLY: readonly RegExp[] = [
  /(^|\/)\.git(\/|$)/, /(^|\/)\.git(ignore|attributes|modules|keep)$/, /(^|\/)\.(github|gitlab|circleci|vscode|idea|devcontainer|husky)\//,
  /(^|\/)\.(gitlab-ci|travis|pre-commit-config)\.ya?ml$/, /(^|\/)\.editorconfig$/, /(^|\/)\.dockerignore$/, /\.dockerignore$/,
  /(^|\/)(Dockerfile|Containerfile)[^/]*$/i, /\.(Dockerfile|Containerfile)$/i, /(^|\/)(docker-)?compose[^/]*\.ya?ml$/, /(^|\/)docker-bake\.(hcl|json)$/,
  /(^|\/)(README|LICEN[CS]E|COPYING|NOTICE|AUTHORS|CONTRIBUTING|CHANGELOG|CODE_OF_CONDUCT|SECURITY)(\.[^/]*)?$/, // upper case: a served security.txt is data /\.(md|markdown|rst|adoc)$/i,
  /(^|\/)(GNU)?[Mm]akefile$/, /\.mk$/,
];

/** Per toolchain: source and build files (by name), and what compiles a data file into the program. */
const SOURCES: Record<'go' | 'rust' | 'java', { program: string; files: readonly RegExp[]; hint: string }> = {
  go: {
    program: 'Go binary',
    // https://pkg.go.dev/cmd/go (go.mod, go.sum, go.work, vendor/, testdata/ is ignored by the go tool, cgo and assembly sources)
    files: [/\.go$/, /(^|\/)go\.(mod|sum|work|work\.sum)$/, /(^|\/)(vendor|testdata)\//, /\.(s|S|c|h|cc|cpp|hpp|cxx|syso|proto)$/, /(^|\/)\.(golangci|goreleaser)\.ya?ml$/],
    hint: 'embed it with //go:embed (a directory pattern skips names starting with . or _ unless it starts with all:)',
  },
  rust: {
    program: 'Rust binary',
    // https://doc.rust-lang.org/cargo/guide/project-layout.html, https://doc.rust-lang.org/cargo/reference/config.html (.cargo/)
    files: [/\.rs$/, /(^|\/)Cargo\.(toml|lock)$/, /(^|\/)\.cargo\//, /(^|\/)(rust-toolchain(\.toml)?|\.?rustfmt\.toml|\.?clippy\.toml|deny\.toml)$/, /(^|\/)(target|tests|benches|examples)\//],
    hint: 'compile it in with include_str!/include_bytes! (or rust-embed)',
  },
  java: {
    program: 'jar',
    // https://maven.apache.org/guides/introduction/introduction-to-the-standard-directory-layout.html (src/main/resources goes into the jar; src/test is tests)
    files: [/\.(java|kt|kts|groovy|scala)$/, /(^|\/)(pom\.xml|build\.gradle(\.kts)?|settings\.gradle(\.kts)?|gradle\.properties|gradlew|gradlew\.bat|mvnw|mvnw\.cmd|lombok\.config)$/,
      /(^|\/)(\.mvn|gradle|\.gradle|target|build)\//, /(^|\/)src\/main\/resources\//, /(^|\/)src\/test\//],
    hint: 'put it under src/main/resources, which the jar holds',
  },
};

/** Why the runner may lack a file the app reads from the source tree at run time, or null. */
export function sourceTreeProblem(doc: DocView, f: StageFacts, context: ContextFs, toolchain: Toolchain): Refusal | null {
  if (toolchain !== 'go' && toolchain !== 'rust' && toolchain !== 'java') return null; // Node and Python copy the app directory whole
  const spec = SOURCES[toolchain];
  const files = copiedFiles(doc, f, context, `whether the app reads files from the source tree at run time (templates, static files, migrations, config), which the runner would not have,`);
  if ('refuse' in files) return files;
  // a path the start command names, in what the COPY lines put there: read at run time whatever its kind
  for (const a of f.start.argv.slice(1)) {
    if (a === null) continue;
    const val = /^-[\w-]*=/.test(a) ? a.slice(a.indexOf('=') + 1) : a;
    if (val === '' || val.startsWith('-')) continue;
    const p = resolve(f.runtimeWorkdir ?? '/', val);
    const hit = files.find((x) => x.image === p || x.image.startsWith(p + '/'));
    if (hit) return { line: doc.lineOfNode(f.start.ins), refuse: `the start command names ${val}, which the build context's ${hit.ctx} (copied on line ${hit.line}) puts at ${hit.image}: the app reads it at run time, and the runner (only the ${spec.program}) would not have it; copy it into the runner yourself` };
  }
  const embedded = toolchain === 'go' ? goEmbeds(files, context) : toolchain === 'rust' ? rustEmbeds(files, context) : [];
  const data = files.filter((x) => !BUILD_ONLY.some((re) => re.test(x.ctx)) && !spec.files.some((re) => re.test(x.ctx)) && !embedded.some((e) => e(x.ctx)));
  const first = data[0];
  if (!first) return null;
  const more = data.length > 1 ? ` (and ${data.length - 1} more file${data.length > 2 ? 's' : ''})` : '';
  return {
    line: first.line,
    refuse: `the build context's ${first.ctx}${more}, copied to ${first.image}, is not part of the ${spec.program}: if the app reads it at run time (a template, static file, migration or config file), the runner would not have it; ${spec.hint}, or copy it into the runner yourself`,
  };
}

type Matcher = (ctxPath: string) => boolean;
const dirOfRel = (p: string) => (p.includes('/') ? p.slice(0, p.lastIndexOf('/')) : '');
const joinRel = (dir: string, p: string): string => {
  const out = dir ? dir.split('/') : [];
  for (const part of p.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') out.pop(); else out.push(part);
  }
  return out.join('/');
};
const under = (p: string, dir: string) => dir === '' || p === dir || p.startsWith(dir + '/');
const elemRe = (g: string) => new RegExp(`^${g.replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]')}$`);

/**
 * `//go:embed` patterns of the copied .go files (https://pkg.go.dev/embed): each pattern is relative to
 * the file's directory, matches path elements with path.Match, and a directory embeds its tree except
 * names starting with . or _ (unless the pattern starts with `all:`).
 */
function goEmbeds(files: CopiedFile[], context: ContextFs): Matcher[] {
  const out: Matcher[] = [];
  for (const f of files) {
    if (!f.ctx.endsWith('.go') || f.ctx.endsWith('_test.go')) continue;
    const text = context.readText(f.ctx);
    if (text === null) continue;
    const dir = dirOfRel(f.ctx);
    for (const m of text.matchAll(/^[ \t]*\/\/go:embed[ \t]+(.+)$/gm)) {
      for (const tok of m[1]!.trim().match(/"[^"]*"|`[^`]*`|\S+/g) ?? []) {
        let pat = tok.replace(/^["`]|["`]$/g, '');
        const all = pat.startsWith('all:');
        if (all) pat = pat.slice(4);
        const elems = pat.split('/').map(elemRe);
        out.push((p) => {
          if (!under(p, dir)) return false;
          const rel = (dir ? p.slice(dir.length + 1) : p).split('/');
          if (rel.length < elems.length || !elems.every((re, k) => re.test(rel[k]!))) return false;
          return all || rel.slice(elems.length).every((e) => !e.startsWith('.') && !e.startsWith('_'));
        });
      }
    }
  }
  return out;
}

/**
 * What the copied .rs files compile in: `include_str!`/`include_bytes!` (relative to the file), and
 * relative to the crate (the nearest Cargo.toml) `include_dir!`, rust-embed's `#[folder = "…"]` and
 * sqlx's `migrate!()` (default `migrations`).
 */
function rustEmbeds(files: CopiedFile[], context: ContextFs): Matcher[] {
  const out: Matcher[] = [];
  const manifests = new Set(files.filter((f) => /(^|\/)Cargo\.toml$/.test(f.ctx)).map((f) => dirOfRel(f.ctx)));
  const crateOf = (p: string) => { let d = dirOfRel(p); for (;;) { if (manifests.has(d)) return d; if (d === '') return ''; d = dirOfRel(d); } };
  for (const f of files) {
    if (!f.ctx.endsWith('.rs')) continue;
    const text = context.readText(f.ctx);
    if (text === null) continue;
    const dir = dirOfRel(f.ctx), crate = crateOf(f.ctx);
    const add = (from: string, p: string) => { const t = joinRel(from, p.replace(/^\$\{?CARGO_MANIFEST_DIR\}?\/?/, '')); out.push((x) => under(x, t)); };
    for (const m of text.matchAll(/include_(?:str|bytes)!\s*\(\s*"([^"]+)"/g)) add(m[1]!.includes('CARGO_MANIFEST_DIR') ? crate : dir, m[1]!);
    for (const m of text.matchAll(/include_dir!\s*\(\s*"([^"]+)"/g)) add(crate, m[1]!);
    for (const m of text.matchAll(/#\[folder\s*=\s*"([^"]+)"\s*\]/g)) add(crate, m[1]!);
    for (const m of text.matchAll(/migrate!\s*\(\s*(?:"([^"]*)")?\s*\)/g)) add(crate, m[1] ?? 'migrations');
  }
  return out;
}
