/**
 * The registry client against a real registry (Debian's docker-registry, see helpers/registry.ts):
 * reference parsing, digests of single manifests and indexes, platform manifests, 404/401, Basic and
 * token auth with credentials from config.json, credsStore and credHelpers, retries, timeouts, the GET
 * fallback, and that no credential or token ever shows up in a message or a log line.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { tempDir } from './helpers/tmp.js';
import { delimiter, join } from 'node:path';
import { RegistryClient, RegistryError, parseChallenge, parsePlatform } from '../src/registry/client.js';
import { canonical, familiar, parseReference } from '../src/registry/reference.js';
import { emptyDockerConfig, freePort, startProxy, startRegistry, type BuiltImage, type TestRegistry } from './helpers/registry.js';

const ref = parseReference;

// ---- references (no network) ----------------------------------------------------------------

const refs = suite('reference');
refs('normalises Docker Hub names', () => {
  for (const s of ['node', 'docker.io/node', 'index.docker.io/library/node', 'registry-1.docker.io/library/node', 'docker.io/library/node']) {
    assert.is(canonical(ref(s)), 'docker.io/library/node', s);
  }
  assert.is(canonical(ref('node:20')), 'docker.io/library/node:20');
  assert.is(canonical(ref('myorg/app:1.0')), 'docker.io/myorg/app:1.0');
  assert.is(familiar(ref('docker.io/library/node:20')), 'node:20');
});
refs('hosts, ports, IPv6, digests', () => {
  assert.equal(ref('localhost:5000/app'), { registry: 'localhost:5000', repository: 'app', tag: null, digest: null });
  assert.equal(ref('localhost/app:1'), { registry: 'localhost', repository: 'app', tag: '1', digest: null });
  assert.equal(ref('registry.example.com:8443/team/app:tag'), { registry: 'registry.example.com:8443', repository: 'team/app', tag: 'tag', digest: null });
  assert.equal(ref('[::1]:5000/app:1'), { registry: '[::1]:5000', repository: 'app', tag: '1', digest: null });
  assert.equal(ref('Registry.Example.COM/a/b'), { registry: 'registry.example.com', repository: 'a/b', tag: null, digest: null });
  const d = 'sha256:' + 'a'.repeat(64);
  assert.equal(ref(`node:20@${d}`), { registry: 'docker.io', repository: 'library/node', tag: '20', digest: d });
  assert.equal(ref(`ghcr.io/a/b@${d}`).tag, null);
});
refs('rejects what Docker rejects', () => {
  for (const [s, why] of [
    ['Node:20', /lower case/], ['myorg/App', /lower case/], ['node:20@sha256:abc', /invalid digest/],
    [`node@md5:${'a'.repeat(32)}`, /invalid digest/], ['node:-x', /invalid tag/], ['node:' + 'x'.repeat(129), /invalid tag/],
    ['a//b', /invalid repository/], ['localhost:99999/a', /invalid port/], ['[::1/a', /IPv6/], ['', /empty/],
  ] as const) {
    assert.throws(() => ref(s), (e: Error) => why.test(e.message), s);
  }
});
refs('platforms and challenges', () => {
  assert.equal(parsePlatform('linux/arm64'), { os: 'linux', architecture: 'arm64', variant: 'v8' });
  assert.equal(parsePlatform('linux/amd64'), { os: 'linux', architecture: 'amd64', variant: null });
  assert.throws(() => parsePlatform('arm64'));
  assert.equal(parseChallenge('Bearer realm="https://auth.example/token",service="reg, inc",scope="repository:a/b:pull"'),
    { scheme: 'bearer', params: { realm: 'https://auth.example/token', service: 'reg, inc', scope: 'repository:a/b:pull' } });
  assert.equal(parseChallenge('Basic realm="x"'), { scheme: 'basic', params: { realm: 'x' } });
});
refs('plain HTTP only for loopback and --insecure-registry hosts', async () => {
  const seen: string[] = [];
  const fake = (async (url: string | URL) => { seen.push(String(url)); throw Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } }); }) as typeof fetch;
  const c = new RegistryClient({ fetch: fake, insecureRegistries: ['insecure.example:5000'], dockerConfigDir: emptyDockerConfig() });
  for (const r of ['registry.example.com/a:1', 'insecure.example:5000/a:1', 'localhost:5000/a:1', '127.0.0.1:5000/a:1', '[::1]:5000/a:1', 'node:20']) {
    await c.resolve(ref(r)).catch(() => undefined);
  }
  assert.equal(seen.map((u) => u.replace(/\/v2\/.*/, '')), [
    'https://registry.example.com', 'http://insecure.example:5000', 'http://localhost:5000', 'http://127.0.0.1:5000', 'http://[::1]:5000', 'https://registry-1.docker.io',
  ]);
});
refs.run();

// ---- against the real registry ---------------------------------------------------------------

const IMAGES = [
  { name: 'library/node', tag: '20', kind: 'oci-index' as const },
  { name: 'library/debian', tag: '12', kind: 'docker-list' as const },
  { name: 'library/golang', tag: '1.22', kind: 'docker' as const },
  { name: 'myorg/app', tag: '1.0', kind: 'oci' as const },
];

const open = suite('registry (no auth)');
let reg: TestRegistry;
let built: BuiltImage[];
open.before(async () => {
  reg = await startRegistry();
  built = await reg.push(IMAGES);
});
open.after(async () => { await reg?.stop(); });
const client = (extra: ConstructorParameters<typeof RegistryClient>[0] = {}) =>
  new RegistryClient({ registryMap: { 'docker.io': reg.host }, dockerConfigDir: emptyDockerConfig(), ...extra });

open('an index resolves to the index digest, not a platform manifest', async () => {
  const r = await client().resolve(ref('node:20'));
  assert.is(r.digest, built[0]!.digest);
  assert.is(r.kind, 'index');
  assert.is(r.mediaType, 'application/vnd.oci.image.index.v1+json');
  const l = await client().resolve(ref('debian:12'));
  assert.is(l.digest, built[1]!.digest);
  assert.is(l.mediaType, 'application/vnd.docker.distribution.manifest.list.v2+json');
});
open('single manifests (Docker v2 and OCI)', async () => {
  assert.is((await client().resolve(ref('golang:1.22'))).digest, built[2]!.digest);
  const r = await client().resolve(ref('myorg/app:1.0'));
  assert.is(r.digest, built[3]!.digest);
  assert.is(r.kind, 'manifest');
  // the registry named directly, without a map
  assert.is((await client({ registryMap: {} }).resolve(ref(`${reg.host}/myorg/app:1.0`))).digest, built[3]!.digest);
});
open('--platform picks the platform manifest out of the index', async () => {
  const r = await client().resolve(ref('node:20'), parsePlatform('linux/arm64'));
  assert.is(r.digest, built[0]!.children.find((c) => c.platform === 'linux/arm64/v8')!.digest);
  assert.is(r.platform, 'linux/arm64/v8');
  await client().resolve(ref('node:20'), parsePlatform('linux/s390x')).then(() => assert.unreachable(), (e: RegistryError) => {
    assert.match(e.message, /node:20 has no linux\/s390x image \(it has linux\/amd64, linux\/arm64\/v8\)/);
  });
});
open('404 names the image and the tag', async () => {
  for (const r of ['node:99', 'nosuch/image:1']) {
    await client().resolve(ref(r)).then(() => assert.unreachable(), (e: RegistryError) => {
      assert.instance(e, RegistryError);
      assert.is(e.kind, 'not-found');
      assert.ok(e.message.includes(r), e.message);
      assert.match(e.message, /not found on docker\.io \(via 127\.0\.0\.1:\d+\)/);
    });
  }
});
open('without Docker-Content-Digest it falls back to GET and hashes the body', async () => {
  const proxy = await startProxy(reg.host);
  proxy.dropHeaders.add('docker-content-digest');
  try {
    const c = new RegistryClient({ registryMap: { 'docker.io': proxy.host }, dockerConfigDir: emptyDockerConfig() });
    assert.is((await c.resolve(ref('node:20'))).digest, built[0]!.digest);
    assert.is((await c.resolve(ref('golang:1.22'))).digest, built[2]!.digest);
    assert.equal(proxy.requests.map((r) => r.method), ['HEAD', 'GET', 'HEAD', 'GET']);
  } finally { await proxy.close(); }
});
open('429 honours Retry-After, bounded', async () => {
  const proxy = await startProxy(reg.host);
  try {
    proxy.intercept = (_q, res, n) => { if (n > 1) return false; res.writeHead(429, { 'Retry-After': '1' }).end(); return true; };
    const c = new RegistryClient({ registryMap: { 'docker.io': proxy.host }, dockerConfigDir: emptyDockerConfig() });
    const t0 = Date.now();
    assert.is((await c.resolve(ref('node:20'))).digest, built[0]!.digest);
    assert.ok(Date.now() - t0 >= 900, 'waited for Retry-After');
    proxy.intercept = (_q, res) => { res.writeHead(429, { 'Retry-After': '0' }).end(); return true; };
    proxy.requests.length = 0;
    await c.resolve(ref('debian:12')).then(() => assert.unreachable(), (e: RegistryError) => {
      assert.is(e.kind, 'rate-limited');
      assert.match(e.message, /rate limiting/);
    });
    assert.is(proxy.requests.length, 4, 'one try and three retries');
    proxy.intercept = (_q, res) => { res.writeHead(429, { 'Retry-After': '3600' }).end(); return true; };
    proxy.requests.length = 0;
    await c.resolve(ref('golang:1.22')).catch(() => undefined);
    assert.is(proxy.requests.length, 1, 'a Retry-After beyond the cap is not waited for');
  } finally { await proxy.close(); }
});
open('timeouts and refused connections name the host', async () => {
  const proxy = await startProxy(reg.host);
  try {
    proxy.intercept = () => true; // never answers
    const c = new RegistryClient({ registryMap: { 'docker.io': proxy.host }, timeoutMs: 300, dockerConfigDir: emptyDockerConfig() });
    await c.resolve(ref('node:20')).then(() => assert.unreachable(), (e: RegistryError) => {
      assert.is(e.kind, 'timeout');
      assert.ok(e.message.includes(`timed out after 0.3 s talking to ${proxy.host}`), e.message);
    });
  } finally { await proxy.close(); }
  const closed = `127.0.0.1:${await freePort()}`;
  const c = new RegistryClient({ registryMap: { 'docker.io': closed }, dockerConfigDir: emptyDockerConfig() });
  await c.resolve(ref('node:20')).then(() => assert.unreachable(), (e: RegistryError) => {
    assert.is(e.message, `connection to ${closed} refused`);
  });
});
open('a registry on a port that Node\'s fetch refuses (a WHATWG "bad port" such as 5061) is reached', async () => {
  // the test's own premise: fetch does refuse the port
  const refused = await fetch('http://127.0.0.1:5061/v2/').then(() => '', (e: Error & { cause?: Error }) => e.cause?.message ?? '');
  assert.is(refused, 'bad port');
  let proxy = null;
  for (const port of [5061, 5060, 6000, 6665, 6666, 6667, 6668, 6669, 10080]) {
    try { proxy = await startProxy(reg.host, port); break; } catch { /* in use: the next bad port */ }
  }
  assert.ok(proxy, '~> none of the bad ports was free');
  try {
    const c = new RegistryClient({ registryMap: { 'docker.io': proxy.host }, dockerConfigDir: emptyDockerConfig() });
    const r = await c.resolve(ref('node:20'));
    assert.is(r.digest, built[0]!.digest);
    const m = await c.manifest(ref('node:20'), { platform: parsePlatform('linux/arm64') });
    assert.is(m.platform, 'linux/arm64/v8');
    assert.ok(proxy.requests.length >= 2);
  } finally { await proxy.close(); }
});
open('dedup: one HEAD per unique reference, however many ask at once', async () => {
  const proxy = await startProxy(reg.host);
  try {
    const c = new RegistryClient({ registryMap: { 'docker.io': proxy.host }, jobs: 4, dockerConfigDir: emptyDockerConfig() });
    const asks = [];
    for (let i = 0; i < 50; i++) asks.push(c.resolve(ref(i % 2 ? 'node:20' : 'docker.io/library/node:20')), c.resolve(ref('debian:12')));
    const rs = await Promise.all(asks);
    assert.ok(rs.every((r, i) => r.digest === (i % 2 ? built[1]!.digest : built[0]!.digest)));
    await c.resolve(ref('node:20'));
    assert.equal(proxy.requests.map((r) => `${r.method} ${r.path}`).sort(), ['HEAD /v2/library/debian/manifests/12', 'HEAD /v2/library/node/manifests/20']);
  } finally { await proxy.close(); }
});
open.run();

// ---- auth --------------------------------------------------------------------------------------

function configDir(cfg: unknown): string {
  const d = tempDir('dockeropt-cfg-');
  writeFileSync(join(d, 'config.json'), JSON.stringify(cfg));
  return d;
}

/** A credential helper script `docker-credential-<name>` in a fresh dir; returns the dir for PATH. */
function helperDir(name: string, user: string, secret: string, host: string): string {
  const d = mkdtempSync(join(tmpdir(), 'dockeropt-helper-'));
  const f = join(d, `docker-credential-${name}`);
  writeFileSync(f, `#!/bin/sh
[ "$1" = get ] || exit 1
read -r server
if [ "$server" = "${host}" ]; then printf '{"ServerURL":"%s","Username":"${user}","Secret":"${secret}"}' "$server"; exit 0; fi
echo "credentials not found in native keychain"; exit 1
`);
  chmodSync(f, 0o755);
  return d;
}

/** Everything a user could see: messages, hints and the request log. */
function leaks(texts: string[], secrets: string[]): string[] {
  return secrets.filter((s) => s && texts.some((t) => t.includes(s)));
}

const basic = suite('registry (htpasswd basic auth)');
let breg: TestRegistry;
let bbuilt: BuiltImage[];
basic.before(async () => {
  breg = await startRegistry({ auth: 'basic' });
  bbuilt = await breg.push([IMAGES[3]!]);
});
basic.after(async () => { await breg?.stop(); });

basic('401 without credentials names the registry and says how to log in', async () => {
  const c = new RegistryClient({ dockerConfigDir: emptyDockerConfig() });
  await c.resolve(ref(`${breg.host}/myorg/app:1.0`)).then(() => assert.unreachable(), (e: RegistryError) => {
    assert.is(e.kind, 'unauthorized');
    assert.ok(e.message.includes(`${breg.host} refused access to ${breg.host}/myorg/app:1.0 (HTTP 401)`), e.message);
    assert.ok(e.hint?.includes(`docker login ${breg.host}`), e.hint);
  });
});
basic('credentials from config.json auths (and a wrong password is a clear 401)', async () => {
  const log: string[] = [];
  const good = configDir({ auths: { [`http://${breg.host}/v2/`]: { auth: Buffer.from(`${breg.user}:${breg.password}`).toString('base64') } } });
  const c = new RegistryClient({ dockerConfigDir: good, log: (l) => log.push(l) });
  assert.is((await c.resolve(ref(`${breg.host}/myorg/app:1.0`))).digest, bbuilt[0]!.digest);
  const bad = configDir({ auths: { [breg.host]: { username: breg.user, password: 'wrong-pass-93b1' } } });
  let err: RegistryError | null = null;
  await new RegistryClient({ dockerConfigDir: bad, log: (l) => log.push(l) }).resolve(ref(`${breg.host}/myorg/app:1.0`)).catch((e: RegistryError) => { err = e; });
  assert.ok(err);
  assert.is(err!.kind, 'unauthorized');
  const b64 = Buffer.from(`${breg.user}:${breg.password}`).toString('base64');
  assert.equal(leaks([...log, err!.message, err!.hint ?? ''], [breg.password, b64, 'wrong-pass-93b1']), []);
});
basic('a credential helper from credHelpers, and credsStore, run from PATH', async () => {
  const dir = helperDir('dotest', breg.user, breg.password, breg.host);
  const oldPath = process.env.PATH;
  process.env.PATH = `${dir}${delimiter}${oldPath}`;
  try {
    const viaHelpers = configDir({ credHelpers: { [breg.host]: 'dotest' } });
    assert.is((await new RegistryClient({ dockerConfigDir: viaHelpers }).resolve(ref(`${breg.host}/myorg/app:1.0`))).digest, bbuilt[0]!.digest);
    const viaStore = configDir({ credsStore: 'dotest', auths: { [breg.host]: {} } });
    assert.is((await new RegistryClient({ dockerConfigDir: viaStore }).resolve(ref(`${breg.host}/myorg/app:1.0`))).digest, bbuilt[0]!.digest);
    // a helper that has nothing for the host ("credentials not found") means anonymous: a 401, not a crash
    const dir2 = helperDir('dotest2', breg.user, breg.password, 'some.other.host');
    process.env.PATH = `${dir2}${delimiter}${process.env.PATH}`;
    const e = await new RegistryClient({ dockerConfigDir: configDir({ credsStore: 'dotest2' }) }).resolve(ref(`${breg.host}/myorg/app:1.0`)).catch((x: RegistryError) => x);
    assert.instance(e, RegistryError);
    assert.is((e as RegistryError).kind, 'unauthorized');
  } finally { process.env.PATH = oldPath; }
});
basic('a helper name that is not a plain word is refused, a missing helper is named', async () => {
  for (const [name, why] of [['../../bin/sh', /not a plain word/], ['x y', /not a plain word/], ['absent-helper-x', /docker-credential-absent-helper-x .* is not on PATH/]] as const) {
    const cfg = configDir({ credHelpers: { [breg.host]: name } });
    const e = await new RegistryClient({ dockerConfigDir: cfg }).resolve(ref(`${breg.host}/myorg/app:1.0`)).catch((x: RegistryError) => x);
    assert.instance(e, RegistryError);
    assert.match((e as RegistryError).message, why);
  }
});
basic.run();

const token = suite('registry (Bearer token auth)');
let treg: TestRegistry;
let tbuilt: BuiltImage[];
token.before(async () => {
  treg = await startRegistry({ auth: 'token' });
  tbuilt = await treg.push([IMAGES[0]!, IMAGES[3]!, { name: 'myorg/app', tag: '2.0', kind: 'oci' }]);
});
token.after(async () => { await treg?.stop(); });

token('anonymous without pull rights: a clear 401', async () => {
  const e = await new RegistryClient({ dockerConfigDir: emptyDockerConfig() }).resolve(ref(`${treg.host}/myorg/app:1.0`)).catch((x: RegistryError) => x);
  assert.instance(e, RegistryError);
  assert.is((e as RegistryError).kind, 'unauthorized');
});
token('a token per repository scope, reused; no credential or token in any message or log line', async () => {
  const log: string[] = [];
  const cfg = configDir({ auths: { [treg.host]: { auth: Buffer.from(`${treg.user}:${treg.password}`).toString('base64') } } });
  const c = new RegistryClient({ dockerConfigDir: cfg, log: (l) => log.push(l) });
  treg.token!.requests.length = 0;
  assert.is((await c.resolve(ref(`${treg.host}/myorg/app:1.0`))).digest, tbuilt[1]!.digest);
  assert.is((await c.resolve(ref(`${treg.host}/myorg/app:2.0`))).digest, tbuilt[2]!.digest);
  assert.is((await c.resolve(ref(`${treg.host}/library/node:20`))).digest, tbuilt[0]!.digest);
  assert.equal(treg.token!.requests, [
    { scope: 'repository:myorg/app:pull', user: treg.user },
    { scope: 'repository:library/node:pull', user: treg.user },
  ]);
  // the 404 path goes through auth too
  const e = await c.resolve(ref(`${treg.host}/myorg/app:9`)).catch((x: RegistryError) => x);
  assert.is((e as RegistryError).kind, 'not-found');
  const b64 = Buffer.from(`${treg.user}:${treg.password}`).toString('base64');
  assert.ok(log.length >= 4);
  assert.equal(leaks([...log, (e as Error).message, (e as RegistryError).hint ?? ''], [treg.password, b64, ...treg.token!.issued]), []);
});
token('anonymous pull when the token server allows it', async () => {
  const anon = await startRegistry({ auth: 'token', anonPull: true });
  try {
    const [img] = await anon.push([IMAGES[3]!]);
    anon.token!.requests.length = 0;
    const r = await new RegistryClient({ dockerConfigDir: emptyDockerConfig() }).resolve(ref(`${anon.host}/myorg/app:1.0`));
    assert.is(r.digest, img!.digest);
    assert.equal(anon.token!.requests, [{ scope: 'repository:myorg/app:pull', user: '' }]);
  } finally { await anon.stop(); }
});
token.run();

