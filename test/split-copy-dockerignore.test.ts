import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cli, cleanup, tree } from './helpers/tmp.js';

const DOCKERFILE = 'FROM node:20\nWORKDIR /app\nCOPY . .\nRUN npm ci\nCMD ["node", "server.js"]\n';
const files = {
  Dockerfile: DOCKERFILE,
  'package.json': '{"name":"app","version":"1.0.0"}\n',
  'package-lock.json': '{"lockfileVersion":3}\n',
  'server.js': 'console.log(1)\n',
  'node_modules/express/package.json': '{}\n',
  '.git/HEAD': 'ref: refs/heads/main\n',
};

const t = suite('split-copy --create-dockerignore');
t('without the flag: a note suggests the .dockerignore, nothing is created', () => {
  const dir = tree(files);
  const r = cli(['--only', 'split-copy', '--write', '--json'], dir);
  const doc = JSON.parse(r.stdout);
  assert.ok(doc.files[0].outcomes.some((o: { kind: string; message?: string }) => o.kind === 'note' && o.message?.includes('has no .dockerignore')), r.stdout);
  assert.not.ok(existsSync(join(dir, '.dockerignore')));
  cleanup(dir);
});
t('dry run with the flag says it would create it and creates nothing', () => {
  const dir = tree(files);
  const r = cli(['--only', 'split-copy', '--create-dockerignore', '--json'], dir);
  assert.ok(r.stdout.includes('--create-dockerignore creates it under --write'), r.stdout);
  assert.not.ok(existsSync(join(dir, '.dockerignore')));
  cleanup(dir);
});
t('with --write it creates the .dockerignore; the next run can then split the COPY', () => {
  const dir = tree(files);
  const first = cli(['--only', 'split-copy', '--create-dockerignore', '--write'], dir);
  assert.is(first.status, 0, first.stderr);
  assert.is(readFileSync(join(dir, '.dockerignore'), 'utf8'), '.git\nnode_modules\n');
  assert.is(readFileSync(join(dir, 'Dockerfile'), 'utf8'), DOCKERFILE, '~> refused this time: node_modules was sent');
  const second = cli(['--only', 'split-copy', '--write'], dir);
  assert.is(second.status, 0, second.stderr);
  assert.is(readFileSync(join(dir, 'Dockerfile'), 'utf8'), 'FROM node:20\nWORKDIR /app\nCOPY package.json package-lock.json ./\nRUN npm ci\nCOPY . .\nCMD ["node", "server.js"]\n');
  cleanup(dir);
});
t('an existing .dockerignore is never overwritten', () => {
  const dir = tree({ ...files, '.dockerignore': 'node_modules\n' });
  cli(['--only', 'split-copy', '--create-dockerignore', '--write'], dir);
  assert.is(readFileSync(join(dir, '.dockerignore'), 'utf8'), 'node_modules\n');
  cleanup(dir);
});
t.run();
