/**
 * The cache experiment (`--verify=cache`): with both images just built (so the builder's layer cache is
 * warm), change one source file in the temporary copy of the context, rebuild both with the cache, and
 * count the steps that re-ran: "original: 5 of 7 steps re-ran, including `npm ci`; rewritten: 2 of 8".
 *
 * The file changed is `touch` when given, else the first source file (sorted) that .dockerignore lets
 * into the build and that is no dependency manifest or lockfile. A line of random spaces and tabs is
 * appended to it: harmless to the languages a build compiles, and new to the layer cache on every run.
 */
import dockerignore from '@balena/dockerignore';
import { randomBytes } from 'node:crypto';
import { existsSync, promises as fsp } from 'node:fs';
import { join, relative, sep } from 'node:path';
import type { Builder, BuildRequest } from './builders.js';

const ignoreFactory = ((dockerignore as unknown as { default?: typeof dockerignore }).default ?? dockerignore) as unknown as (typeof import('@balena/dockerignore'))['default'];

export interface Step {
  /** The instruction as the builder printed it (`RUN npm ci`). */
  instruction: string;
  cached: boolean;
}

export interface CacheSide {
  /** Steps other than FROM. */
  steps: number;
  reran: number;
  /** RUN commands that re-ran (their text, shortened). */
  reranRuns: string[];
  seconds: number;
}

export interface CacheReport {
  /** The context file that was changed (relative, `/`-separated); null when there was none to change. */
  touched: string | null;
  before?: CacheSide;
  after?: CacheSide;
  /** Why the experiment could not run, or a caveat about what it shows. */
  note?: string;
}

/** Manifests and lockfiles: changing them is meant to re-run the install, so they are not the file to change. */
const MANIFEST = /^(package(-lock)?\.json|npm-shrinkwrap\.json|yarn\.lock|pnpm-lock\.yaml|pnpm-workspace\.yaml|bun\.lockb?|requirements[^/]*\.(txt|in)|constraints[^/]*\.txt|pyproject\.toml|poetry\.lock|uv\.lock|Pipfile(\.lock)?|setup\.(py|cfg)|go\.(mod|sum|work)|pom\.xml|build\.gradle(\.kts)?|settings\.gradle(\.kts)?|gradle\.properties|Cargo\.(toml|lock)|Gemfile(\.lock)?|composer\.(json|lock)|[^/]*\.csproj|[^/]*\.sln|packages\.lock\.json|\.npmrc|\.yarnrc(\.yml)?)$/;
const SOURCE = /\.(js|mjs|cjs|ts|tsx|jsx|py|go|rb|php|java|kt|scala|rs|cs|fs|c|cc|cpp|h|hpp|swift|ex|exs|erl|clj|sh|html|css|scss|vue|svelte|txt|md)$/;

async function listFiles(root: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string) => {
    for (const e of await fsp.readdir(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) { if (e.name !== '.git' && e.name !== 'node_modules') await walk(p); }
      else if (e.isFile()) out.push(relative(root, p).split(sep).join('/'));
    }
  };
  await walk(root);
  return out.sort();
}

/** The file the experiment changes: an allowed source file, preferring src/, app/, lib/. */
export async function chooseTouch(context: string, dockerignoreText: string | null): Promise<string | null> {
  const ig = ignoreFactory().add((dockerignoreText ?? '').split(/\r?\n/));
  const files = (await listFiles(context)).filter((f) => {
    const base = f.split('/').pop()!;
    return !ig.ignores(f) && !MANIFEST.test(base) && !/(^|\/)(Dockerfile|Containerfile)[^/]*$|\.dockerignore$|(^|\/)\.dockerignore$/.test(f);
  });
  const score = (f: string) => (/^(src|app|lib|cmd|internal|pkg)\//.test(f) ? 0 : 1) * 2 + (SOURCE.test(f) ? 0 : 1);
  return [...files].sort((a, b) => score(a) - score(b) || (a < b ? -1 : a > b ? 1 : 0))[0] ?? null;
}

/** Steps of a build log (buildah/podman `STEP n/m: X` + `--> Using cache`; buildx `#N [..] X` + `#N CACHED`). */
export function parseSteps(log: string): Step[] {
  const steps: Step[] = [];
  const byId = new Map<string, Step>();
  for (const raw of log.split('\n')) {
    const line = raw.trimEnd();
    const s = /^(?:\[\d+\/\d+\] )?STEP \d+\/\d+: (.*)$/.exec(line);
    if (s) { steps.push({ instruction: s[1]!, cached: false }); continue; }
    if (/^--> Using cache /.test(line) && steps.length) { steps[steps.length - 1]!.cached = true; continue; }
    const bx = /^#(\d+) \[(?!internal\])[^\]]*\d+\/\d+\] (.*)$/.exec(line);
    if (bx) { if (!byId.has(bx[1]!)) { const st = { instruction: bx[2]!, cached: false }; byId.set(bx[1]!, st); steps.push(st); } continue; }
    const c = /^#(\d+) CACHED$/.exec(line);
    if (c && byId.has(c[1]!)) byId.get(c[1]!)!.cached = true;
  }
  return steps;
}

function side(log: string, seconds: number): CacheSide {
  const steps = parseSteps(log).filter((s) => !/^FROM /i.test(s.instruction));
  const reran = steps.filter((s) => !s.cached);
  return {
    steps: steps.length,
    reran: reran.length,
    reranRuns: reran.filter((s) => /^RUN /i.test(s.instruction)).map((s) => {
      const cmd = s.instruction.replace(/^RUN\s+/i, '').replace(/--mount=\S+\s*/g, '').replace(/\s+/g, ' ').trim();
      return cmd.length > 40 ? `${cmd.slice(0, 39)}…` : cmd;
    }),
    seconds: Math.round(seconds * 10) / 10,
  };
}

export function cacheText(c: CacheReport): string {
  if (!c.before || !c.after) return `cache experiment: ${c.note ?? 'not run'}`;
  const one = (name: string, s: CacheSide) => `${name}: ${s.reran} of ${s.steps} steps re-ran${s.reranRuns.length ? `, including ${s.reranRuns.slice(0, 3).map((r) => `\`${r}\``).join(', ')}` : ''} (${s.seconds} s)`;
  return `cache experiment (changed ${c.touched}): ${one('original', c.before)}; ${one('rewritten', c.after)}${c.note ? `; ${c.note}` : ''}`;
}

export interface CacheExperimentInput extends Omit<BuildRequest, 'dockerfile' | 'tag'> {
  files: { before: string; after: string };
  tags: { before: string; after: string };
  /** Tags made so far (the caller removes them). */
  made: string[];
  touch?: string;
  /** A RUN binds the context: buildah reports such steps as cached even when the bound files changed. */
  binds: boolean;
}

export async function cacheExperiment(builder: Builder, i: CacheExperimentInput): Promise<CacheReport> {
  const ignoreFile = existsSync(`${i.files.before}.dockerignore`) ? `${i.files.before}.dockerignore` : join(i.context, '.dockerignore');
  const ignoreText = existsSync(ignoreFile) ? await fsp.readFile(ignoreFile, 'utf8') : null;
  const touched = i.touch ?? await chooseTouch(i.context, ignoreText);
  if (!touched) return { touched: null, note: 'no source file in the context to change' };
  const path = join(i.context, touched);
  if (!existsSync(path)) return { touched, note: `${touched} is not a file of the context` };
  // whitespace only, and different on every run: a change the layer cache has never seen
  const nonce = [...randomBytes(4)].flatMap((b) => Array.from({ length: 8 }, (_, i) => ((b >> i) & 1 ? '\t' : ' '))).join('');
  await fsp.appendFile(path, `\n${nonce}\n`);
  const { files, tags, made, touch: _t, binds, ...req } = i;
  const a = await builder.build({ ...req, dockerfile: files.before, tag: tags.before });
  made.push(tags.before);
  const b = await builder.build({ ...req, dockerfile: files.after, tag: tags.after });
  made.push(tags.after);
  if (!a.ok || !b.ok) return { touched, note: `the rebuild after changing ${touched} failed` };
  const note = binds && builder.kind !== 'docker' ? `${builder.kind} reports RUN --mount=type=bind steps as cached even when the bound files changed (containers/buildah#5400)` : undefined;
  return { touched, before: side(a.log, a.seconds), after: side(b.log, b.seconds), ...(note ? { note } : {}) };
}
