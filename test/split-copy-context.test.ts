/**
 * The build context split-copy reads: compose files (next to or above the Dockerfile, up to the repo
 * root), `--context`, `<Dockerfile>.dockerignore`, and an end-to-end run over a multi-service tree.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { contextInfo, dockerignoreOf, resolveBuildContext } from '../src/build-context.js';
import { run } from '../src/run.js';
import { main } from '../src/cli.js';
import { splitCopy } from '../transforms/split-copy/index.js';
import { cleanup, tree } from './helpers/tmp.js';

const PKG = '{"name":"web","dependencies":{"react":"^18"}}\n';
const NODE_DF = 'FROM node:20\nWORKDIR /app\nCOPY . .\nRUN npm ci\nRUN npm run build\n';
const PY_DF = 'FROM python:3.12\nWORKDIR /app\nCOPY . .\nRUN pip install -r requirements.txt\n';

/** A repository with several services built by one compose file at its root. */
function repo(): string {
  return tree({
    '.git/HEAD': 'ref: refs/heads/main\n',
    'compose.yaml': [
      'services:',
      '  web:',
      '    build:',
      '      context: .',
      '      dockerfile: services/web/Dockerfile',
      '  api:',
      '    build:',
      '      context: ./services/api',
      '  worker:',
      '    build: services/worker',
      '  shared-a:',
      '    build: { context: services/shared, dockerfile: Dockerfile }',
      '  shared-b:',
      '    build: { context: ., dockerfile: services/shared/Dockerfile }',
      '  db:',
      '    image: postgres:16',
      '',
    ].join('\n'),
    // web: built from the repository root, which holds the manifests; its own ignore file excludes node_modules
    'package.json': PKG,
    'package-lock.json': '{"lockfileVersion":3}\n',
    'node_modules/react/package.json': '{}\n',
    'services/web/Dockerfile': NODE_DF,
    'services/web/Dockerfile.dockerignore': 'node_modules\n.git\n',
    'services/web/src/index.js': 'export {};\n',
    // api: its own directory
    'services/api/Dockerfile': PY_DF,
    'services/api/requirements.txt': 'flask\n',
    'services/api/.dockerignore': '.venv\n',
    // worker: string form of build
    'services/worker/Dockerfile': PY_DF,
    'services/worker/requirements.txt': 'celery\n',
    // shared: two services disagree on the context
    'services/shared/Dockerfile': PY_DF,
    'services/shared/requirements.txt': 'x\n',
    // not in the compose file: its own directory
    'tools/lint/Dockerfile': PY_DF,
    'tools/lint/requirements.txt': 'ruff\n',
  });
}

const test = suite('split-copy build context');

test('compose build.context + build.dockerfile pick the context; nearest compose, else the directory', () => {
  const root = repo();
  try {
    const web = resolveBuildContext(join(root, 'services/web/Dockerfile'));
    assert.is(web.root, root);
    assert.is(contextInfo(web)?.source, 'compose');
    assert.match(contextInfo(web)!.detail!, /service web/);
    const api = resolveBuildContext(join(root, 'services/api/Dockerfile'));
    assert.is(api.root, join(root, 'services/api'));
    assert.is(contextInfo(api)?.source, 'compose');
    const worker = resolveBuildContext(join(root, 'services/worker/Dockerfile'));
    assert.is(worker.root, join(root, 'services/worker'));
    const lint = resolveBuildContext(join(root, 'tools/lint/Dockerfile'));
    assert.is(lint.root, join(root, 'tools/lint'));
    assert.is(contextInfo(lint)?.source, 'default');
    const shared = resolveBuildContext(join(root, 'services/shared/Dockerfile'));
    assert.is(shared.root, null);
    assert.is(contextInfo(shared)?.source, 'unknown');
    assert.match(contextInfo(shared)!.detail!, /different contexts/);
  } finally {
    cleanup(root);
  }
});

test('the search stops at the repository root', () => {
  const outer = tree({
    'compose.yaml': 'services:\n  x:\n    build: { context: ., dockerfile: inner/app/Dockerfile }\n',
    'inner/.git/HEAD': 'x\n',
    'inner/app/Dockerfile': PY_DF,
  });
  try {
    const c = resolveBuildContext(join(outer, 'inner/app/Dockerfile'));
    assert.is(c.root, join(outer, 'inner/app'));
    assert.is(contextInfo(c)?.source, 'default');
  } finally {
    cleanup(outer);
  }
});

test('an explicit context wins over compose; <Dockerfile>.dockerignore wins over the context .dockerignore', () => {
  const root = repo();
  try {
    const c = resolveBuildContext(join(root, 'services/web/Dockerfile'), join(root, 'services/web'));
    assert.is(c.root, join(root, 'services/web'));
    assert.is(contextInfo(c)?.source, 'explicit');
    assert.is(dockerignoreOf(c)?.name, 'Dockerfile.dockerignore');
    const api = resolveBuildContext(join(root, 'services/api/Dockerfile'));
    assert.is(dockerignoreOf(api)?.name, '.dockerignore');
  } finally {
    cleanup(root);
  }
});

test('end to end: run() with split-copy over the multi-service tree picks each service context', async () => {
  const root = repo();
  try {
    const res = await run({ cwd: root, paths: ['.'], transforms: [splitCopy] });
    const by = new Map(res.files.map((f) => [f.file, f]));
    const web = by.get('services/web/Dockerfile')!;
    assert.is(web.status, 'changed', JSON.stringify(web.outcomes));
    assert.is(web.after, 'FROM node:20\nWORKDIR /app\nCOPY package.json package-lock.json ./\nRUN npm ci\nCOPY . .\nRUN npm run build\n');
    for (const f of ['services/api/Dockerfile', 'services/worker/Dockerfile', 'tools/lint/Dockerfile']) {
      assert.is(by.get(f)!.after, 'FROM python:3.12\nWORKDIR /app\nCOPY requirements.txt ./\nRUN pip install -r requirements.txt\nCOPY . .\n', f);
    }
    const shared = by.get('services/shared/Dockerfile')!;
    assert.is(shared.status, 'unchanged');
    assert.equal(shared.outcomes.map((o) => o.kind), ['refuse']);
    assert.match(shared.outcomes[0]!.message, /build context cannot be determined: compose services build it with different contexts/);
    // nothing was written without write: true
    assert.is(readFileSync(join(root, 'services/web/Dockerfile'), 'utf8'), NODE_DF);
  } finally {
    cleanup(root);
  }
});

test('without the per-Dockerfile ignore file the local node_modules blocks the split', async () => {
  const root = repo();
  try {
    const { rmSync } = await import('node:fs');
    rmSync(join(root, 'services/web/Dockerfile.dockerignore'));
    const res = await run({ cwd: root, paths: ['services/web/Dockerfile'], transforms: [splitCopy] });
    const f = res.files[0]!;
    assert.is(f.status, 'unchanged');
    assert.ok(f.outcomes.some((o) => o.kind === 'refuse' && /sends node_modules/.test(o.message)), JSON.stringify(f.outcomes));
  } finally {
    cleanup(root);
  }
});

const io = (cwd: string) => {
  const out: string[] = [], err: string[] = [];
  return { io: { stdout: { write: (s: string) => out.push(s) }, stderr: { write: (s: string) => err.push(s) }, cwd, env: { NO_COLOR: '1' } }, out, err };
};

test('--context DIR applies to one Dockerfile; with several paths it is a usage error', async () => {
  const root = repo();
  try {
    // services/web has no package.json: the explicit context is taken as given, so the install is refused
    const a = io(root);
    const code = await main(['--only', 'split-copy', '--context', 'services/web', 'services/web/Dockerfile'], a.io);
    assert.is(code, 0, a.err.join(''));
    assert.match(a.out.join(''), /package\.json is not in the build context/);
    const b = io(root);
    assert.is(await main(['--only', 'split-copy', '--context', '.', 'services/api/Dockerfile', 'services/worker/Dockerfile'], b.io), 2);
    assert.match(b.err.join(''), /--context needs exactly one Dockerfile path/);
    const c = io(root);
    assert.is(await main(['--only', 'split-copy', '--context', 'nope', 'services/api/Dockerfile'], c.io), 2);
    assert.match(c.err.join(''), /is not a directory/);
  } finally {
    cleanup(root);
  }
});

test.run();
