// Issue 16: no network by default. A TCP listener stands in for the registry (the real binary is pointed
// at it with --registry-map): a plain dry run or --write opens no connection; --sizes does, and says in one
// line that the sizes could not be had.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { createServer, type Socket } from 'node:net';
import { BIN, cleanup, tree } from './helpers/tmp.js';

const PY = 'FROM python:3.12\nRUN python -m venv /opt/venv\nENV PATH="/opt/venv/bin:$PATH"\nWORKDIR /app\nCOPY . /app\nRUN pip install --no-cache-dir /app\nCMD ["python", "-m", "app"]\n';

function run(args: string[], cwd: string): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((res) => {
    const p = spawn(process.execPath, [BIN, ...args], { cwd, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', NO_COLOR: '1' } });
    let stdout = '', stderr = '';
    p.stdout.on('data', (d) => { stdout += d; });
    p.stderr.on('data', (d) => { stderr += d; });
    p.on('close', (status) => res({ status, stdout, stderr }));
  });
}

const net = suite('cli: no network by default');
net('a dry run and --write open no connection; --sizes asks the registry and says in one line when sizes cannot be had', async () => {
  let connections = 0;
  const sockets: Socket[] = [];
  // accepts and never answers: each lookup times out (--registry-timeout 2)
  const server = createServer((s) => { connections++; sockets.push(s); });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const map = ['--registry-map', `docker.io=127.0.0.1:${port}`, '--registry-timeout', '2'];
  const dir = tree({ Dockerfile: PY });
  try {
    const dry = await run(['--only', 'runner-stage', '--runtime', ...map], dir);
    assert.is(dry.status, 0, dry.stderr);
    assert.ok(dry.stdout.includes('FROM python:3.12-slim'), dry.stdout);
    assert.ok(dry.stdout.includes('base-image sizes: not looked up (--sizes asks the registry)'), dry.stdout);
    assert.is(connections, 0);
    const sized = await run(['--only', 'runner-stage', '--runtime', '--sizes', ...map], dir);
    assert.is(sized.status, 0, sized.stderr);
    assert.ok(connections > 0);
    assert.is(sized.stdout.split('\n').filter((l) => l.startsWith('base-image sizes: not available for 1 change')).length, 1, sized.stdout);
    const before = connections;
    for (const f of ['sarif', 'github']) await run(['--only', 'runner-stage', '--runtime', '--format', f, '--sizes', ...map], dir);
    assert.is(connections, before, 'sarif and github never compute sizes');
    const w = await run(['--only', 'runner-stage', '--runtime', '--write', ...map], dir);
    assert.is(w.status, 0, w.stderr);
    assert.is(connections, before);
  } finally {
    for (const s of sockets) s.destroy();
    server.close();
    cleanup(dir);
  }
});
net.run();
