// Issue 16, batch at scale: one CLI test per item, each spawning the real binary (bin/dockeropt.js).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cli, cleanup, tree } from './helpers/tmp.js';

const MERGEABLE = 'FROM debian:12\nRUN apt-get update\nRUN apt-get install -y curl\n';
const M = ['--only', 'merge-run'];

const discovery = suite('cli: discovery names (Renovate\'s defaults)');
discovery('finds Dockerfile, dockerfile, Dockerfile.x/-x/_x, x.Dockerfile, x.dockerfile and the Containerfile variants', () => {
  const names = ['Dockerfile', 'dockerfile', 'Dockerfile.prod', 'Dockerfile-windows', 'Dockerfile_arm', 'api.Dockerfile', 'web.dockerfile',
    'Containerfile', 'containerfile', 'Containerfile.dev', 'Containerfile-x', 'Containerfile_y', 'a.Containerfile', 'b.containerfile'];
  const dir = tree({ ...Object.fromEntries(names.map((n, i) => [`d${String(i).padStart(2, '0')}/${n}`, MERGEABLE])), 'z/Dockerfile.dockerignore': 'x\n', 'z/Dockerfiles.md': 'x', 'z/MyDockerfile': 'x' });
  const r = cli([...M, '--check'], dir);
  assert.is(r.status, 1, r.stderr);
  assert.is(r.stdout, names.map((n, i) => `d${String(i).padStart(2, '0')}/${n}\n`).join(''));
  cleanup(dir);
});
discovery.run();
