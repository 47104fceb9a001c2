/**
 * RegistryClient.manifest against the real registry (test/helpers/registry.ts), and the impact report's
 * base-image sizes on top of it: they honour pin-digests' registry options (registry map, docker config,
 * timeout), in the library and through the CLI.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../src/cli.js';
import { computeImpact } from '../src/impact.js';
import { priceBases, registryOptionsFrom, registrySizes } from '../src/impact-sizes.js';
import { MEDIA, RegistryClient, RegistryError, parsePlatform } from '../src/registry/client.js';
import { parseReference } from '../src/registry/reference.js';
import { emptyDockerConfig, startProxy, startRegistry, type BuiltImage, type TestRegistry } from './helpers/registry.js';
import { cleanup, tempDir, tree } from './helpers/tmp.js';

const ref = parseReference;

/** The compressed linux/amd64 size of a built image, from its own manifest bytes. */
function amd64Size(img: BuiltImage): number {
  const digest = img.children.find((c) => c.platform === 'linux/amd64')?.digest ?? img.digest;
  const m = img.manifests.find((x) => x.digest === digest)!;
  return (JSON.parse(m.bytes.toString('utf8')) as { layers: { size: number }[] }).layers.reduce((n, l) => n + l.size, 0);
}

const manifests = suite('RegistryClient.manifest (real registry)');
let reg: TestRegistry;
let node: BuiltImage, app: BuiltImage;
manifests.before(async () => {
  reg = await startRegistry();
  [node, app] = await reg.push([
    { name: 'library/node', tag: '20', kind: 'oci-index' },
    { name: 'myorg/app', tag: '1.0', kind: 'docker' },
  ]) as [BuiltImage, BuiltImage];
});
manifests.after(async () => { await reg?.stop(); });
const client = () => new RegistryClient({ registryMap: { 'docker.io': reg.host }, dockerConfigDir: emptyDockerConfig() });

manifests('an index without a platform is the index, with its exact bytes', async () => {
  const m = await client().manifest(ref('node:20'));
  assert.is(m.digest, node.digest);
  assert.is(m.kind, 'index');
  assert.is(m.mediaType, MEDIA.ociIndex);
  assert.ok(m.bytes.equals(node.manifests.at(-1)!.bytes));
  assert.is(m.manifest.manifests?.length, 2);
  assert.is(m.platform, undefined);
});

manifests('with a platform, the index is followed to that manifest (read by digest, checked)', async () => {
  const c = client();
  const m = await c.manifest(ref('node:20'), { platform: parsePlatform('linux/arm64') });
  const child = node.children.find((x) => x.platform === 'linux/arm64/v8')!.digest;
  assert.is(m.digest, child);
  assert.is(m.kind, 'manifest');
  assert.is(m.platform, 'linux/arm64/v8');
  assert.equal(m.index, { digest: node.digest, mediaType: MEDIA.ociIndex });
  assert.is(m.manifest.layers?.length, 1);
  assert.is(c.requestCount, 2, 'the index, then the child');
  // the same lookup again is answered from the client
  await c.manifest(ref('docker.io/library/node:20'), { platform: parsePlatform('linux/arm64/v8') });
  assert.is(c.requestCount, 2);
  // by digest: the reference's digest wins over its tag
  const byDigest = await c.manifest(ref(`node:20@${child}`));
  assert.is(byDigest.digest, child);
  assert.is(c.requestCount, 3);
});

manifests('a single manifest is returned as it is, platform or not; errors name the image', async () => {
  const m = await client().manifest(ref('myorg/app:1.0'), { platform: parsePlatform('linux/amd64') });
  assert.is(m.digest, app.digest);
  assert.is(m.mediaType, MEDIA.dockerManifest);
  assert.is(m.manifest.layers?.[0]?.size, amd64Size(app));
  const e = await client().manifest(ref('node:21')).catch((x: unknown) => x);
  assert.instance(e, RegistryError);
  assert.match((e as RegistryError).message, /node:21 was not found on docker\.io \(via 127\.0\.0\.1:\d+\)/);
  const p = await client().manifest(ref('node:20'), { platform: parsePlatform('linux/s390x') }).catch((x: unknown) => x);
  assert.match((p as RegistryError).message, /node:20 has no linux\/s390x image/);
});

manifests.run();

// ---- impact sizes with pin-digests' options ---------------------------------------------------

const sizes = suite('impact sizes: the same registry options as pin-digests');
let breg: TestRegistry;
let py: BuiltImage, slim: BuiltImage;
sizes.before(async () => {
  breg = await startRegistry({ auth: 'basic' });
  [py, slim] = await breg.push([
    { name: 'library/python', tag: '3.12', kind: 'oci-index' },
    { name: 'library/python', tag: '3.12-slim', kind: 'docker' },
  ]) as [BuiltImage, BuiltImage];
});
sizes.after(async () => { await breg?.stop(); });

function loginDir(host: string): string {
  const d = tempDir('dockeropt-cfg-');
  writeFileSync(join(d, 'config.json'), JSON.stringify({ auths: { [host]: { auth: Buffer.from(`${breg.user}:${breg.password}`).toString('base64') } } }));
  return d;
}

sizes('registryOptionsFrom maps pin-digests options (as the CLI gives them) to the client', async () => {
  assert.equal(await registryOptionsFrom(undefined), { registryMap: {}, insecureRegistries: [], dockerConfigDir: null, jobs: 8 });
  assert.equal(await registryOptionsFrom({ registryMap: ['docker.io=127.0.0.1:5000'], insecureRegistries: ['reg.lan:5000,other.lan'], dockerConfig: '/cfg', registryTimeout: '2.5', jobs: '3' }), {
    registryMap: { 'docker.io': '127.0.0.1:5000' }, insecureRegistries: ['reg.lan:5000', 'other.lan'], dockerConfigDir: '/cfg', jobs: 3, timeoutMs: 2500,
  });
  // an option that does not parse is left out (pin-digests reports it when it runs)
  assert.equal((await registryOptionsFrom({ registryTimeout: 'soon', registryMap: ['docker.io=h:1'] })).registryMap, { 'docker.io': 'h:1' });
});

sizes('sizes come through the registry map and the docker config (a registry with Basic auth)', async () => {
  const opts = await registryOptionsFrom({ registryMap: [`docker.io=${breg.host}`], dockerConfig: loginDir(breg.host) });
  const lookup = registrySizes(opts);
  const i = computeImpact('FROM python:3.12\n', 'FROM python:3.12-slim\n');
  await priceBases([i], lookup);
  assert.equal(i.bases, [{ stage: '0', before: 'python:3.12', after: 'python:3.12-slim', beforeBytes: amd64Size(py), afterBytes: amd64Size(slim) }]);
  // without the login the registry refuses, and the note says so
  const anon = registrySizes(await registryOptionsFrom({ registryMap: [`docker.io=${breg.host}`], dockerConfig: emptyDockerConfig() }));
  const j = computeImpact('FROM python:3.12\n', 'FROM python:3.12-slim\n');
  await priceBases([j], anon);
  assert.match(j.bases[0]!.note ?? '', /refused access to python:3\.12 \(HTTP 401\)/);
});

sizes('--registry-timeout bounds a size lookup', async () => {
  const hang = net.createServer(() => { /* accepts, never answers */ });
  const sockets = new Set<net.Socket>();
  hang.on('connection', (s) => { sockets.add(s); s.on('error', () => undefined); });
  await new Promise<void>((r) => hang.listen(0, '127.0.0.1', r));
  const host = `127.0.0.1:${(hang.address() as net.AddressInfo).port}`;
  try {
    const lookup = registrySizes(await registryOptionsFrom({ registryMap: [`docker.io=${host}`], registryTimeout: 0.2 }));
    const t0 = Date.now();
    const e = await lookup('python:3.12').catch((x: unknown) => x);
    assert.match((e as Error).message, new RegExp(`timed out after 0\\.2 s talking to ${host.replace(/\./g, '\\.')}`));
    assert.ok(Date.now() - t0 < 1500);
  } finally {
    for (const s of sockets) s.destroy();
    await new Promise((r) => hang.close(r));
  }
});

sizes('the CLI prices base changes through pin-digests\' --registry-map and the docker config', async () => {
  // runner-stage moves the final stage to python:3.12-slim: a base change the impact report prices
  const dir = tree({ Dockerfile: 'FROM python:3.12\nRUN python -m venv /opt/venv\nENV PATH="/opt/venv/bin:$PATH"\nWORKDIR /app\nCOPY requirements.txt .\nRUN pip install --no-cache-dir -r requirements.txt\nCOPY . .\nEXPOSE 8000\nCMD ["gunicorn", "-b", "0.0.0.0:8000", "app:app"]\n' });
  const proxy = await startProxy(breg.host);
  const oldConfig = process.env.DOCKER_CONFIG;
  process.env.DOCKER_CONFIG = loginDir(proxy.host);
  try {
    let stdout = '', stderr = '';
    const status = await main(['--only', 'runner-stage', '--runtime', '--sizes', '--json', '--registry-map', `docker.io=${proxy.host}`, dir], {
      stdout: { write: (s: string) => { stdout += s; } },
      stderr: { write: (s: string) => { stderr += s; } },
      cwd: dir, env: { NO_COLOR: '1' },
    });
    assert.is(status, 0, stderr);
    const doc = JSON.parse(stdout) as { files: { impact?: { bases: { stage: string; before: string; after: string; beforeBytes?: number; afterBytes?: number; note?: string }[] } }[] };
    const b = doc.files[0]?.impact?.bases[0];
    assert.ok(b, stdout);
    assert.equal(b, { stage: b!.stage, before: 'python:3.12', after: 'python:3.12-slim', beforeBytes: amd64Size(py), afterBytes: amd64Size(slim) });
    assert.ok(proxy.requests.some((q) => q.authorization !== null), 'the login from the docker config was used');
  } finally {
    if (oldConfig === undefined) delete process.env.DOCKER_CONFIG; else process.env.DOCKER_CONFIG = oldConfig;
    await proxy.close();
    cleanup(dir);
  }
});

sizes.run();
