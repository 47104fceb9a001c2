/**
 * Registry faults, each against the real registry (Debian's docker-registry, test/helpers/registry.ts)
 * behind a loopback proxy that injects the fault, except the pure network faults (a reset, a response
 * that never ends), which come from tiny TCP servers standing for a broken network:
 * - a connection reset mid-response (mid-headers for HEAD, mid-body for GET): retried, bounded;
 * - a response that never ends (stalled headers, a stalled body, a body that drips forever): the
 *   per-request timeout covers the whole answer and is not retried;
 * - a wrong Docker-Content-Digest: checked against the body whenever the manifest was read with GET;
 *   a HEAD answer has no body to check (see the decision in src/registry/client.ts);
 * - a redirect to another host: followed only to https or loopback, and the Authorization header never
 *   reaches the other host;
 * - 5xx then success: bounded retries with backoff, the number of attempts asserted.
 * Each fault is also run through pin-digests: the reference stays as written, with an error outcome on
 * its line that names the host and says what to do, and the file's other references are still pinned.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { tempDir } from './helpers/tmp.js';
import { join } from 'node:path';
import { prepareTransforms, resolveOptions, runPipeline } from '../src/pipeline.js';
import { RegistryClient, RegistryError, parsePlatform } from '../src/registry/client.js';
import { parseReference } from '../src/registry/reference.js';
import { pinDigests } from '../transforms/pin-digests/index.js';
import { emptyDockerConfig, startRegistry, type BuiltImage, type TestRegistry } from './helpers/registry.js';

const ref = parseReference;
const FAST = { retryDelayMs: 10 } as const;

// ---- fault servers ---------------------------------------------------------------------------

interface Closable { host: string; close(): Promise<void> }

/** A server on `bind` whose connections are all destroyed on close (so the test process can exit). */
async function listen(server: net.Server, bind = '127.0.0.1'): Promise<string> {
  const sockets = new Set<net.Socket>();
  server.on('connection', (s: net.Socket) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  await new Promise<void>((r) => server.listen(0, bind, r));
  server.unref();
  (server as net.Server & { killAll?: () => void }).killAll = () => { for (const s of sockets) s.destroy(); };
  return `${bind}:${(server.address() as net.AddressInfo).port}`;
}
function closer(server: net.Server): () => Promise<void> {
  return () => new Promise((r) => { (server as net.Server & { killAll?: () => void }).killAll?.(); server.close(() => r()); });
}

/**
 * A TCP proxy in front of the real registry that resets the client's connection in the middle of the
 * registry's answer: after 20 bytes of the status line and headers ('headers'), or after the headers
 * and 10 bytes of the body ('body'). The first `times` connections are cut, later ones pass through.
 */
async function resetProxy(target: string, where: 'headers' | 'body', times = Infinity): Promise<Closable & { connections: number; requests: string[] }> {
  const [th, tp] = target.split(':') as [string, string];
  const state = { connections: 0, requests: [] as string[] };
  const server = net.createServer((client) => {
    const n = ++state.connections;
    const cut = n <= times;
    const up = net.connect(Number(tp), th);
    client.on('data', (b: Buffer) => {
      for (const m of b.toString('latin1').matchAll(/^(GET|HEAD|POST) (\S+) HTTP/gm)) state.requests.push(`${m[1]} ${m[2]}`);
      up.write(b);
    });
    client.on('error', () => up.destroy());
    up.on('error', () => client.destroy());
    client.on('close', () => up.destroy());
    if (!cut) { up.pipe(client); return; }
    let buf = Buffer.alloc(0);
    up.on('data', (b: Buffer) => {
      buf = Buffer.concat([buf, b]);
      let upto = -1;
      if (where === 'headers') upto = buf.length >= 20 ? 20 : -1;
      else {
        const end = buf.indexOf('\r\n\r\n');
        if (end !== -1 && buf.length >= end + 4 + 10) upto = end + 4 + 10;
      }
      if (upto === -1) return;
      client.write(buf.subarray(0, upto), () => { client.resetAndDestroy(); up.destroy(); });
      up.removeAllListeners('data');
    });
  });
  const host = await listen(server);
  return Object.assign(state, { host, close: closer(server) });
}

/**
 * A server that never finishes its answer: the status line and part of the headers ('headers'), the
 * headers and part of a 5000-byte body ('body'), or a body that gets one more byte every 50 ms forever
 * ('drip'). Stands for a broken network or a stuck proxy, not for a registry.
 */
async function hangServer(mode: 'headers' | 'body' | 'drip'): Promise<Closable & { connections: number }> {
  const state = { connections: 0 };
  const timers = new Set<NodeJS.Timeout>();
  const server = net.createServer((s) => {
    state.connections++;
    s.on('error', () => undefined);
    s.once('data', () => {
      if (mode === 'headers') { s.write('HTTP/1.1 200 OK\r\nContent-Type: application/vnd.oci.image.index.v1+json\r\n'); return; }
      s.write('HTTP/1.1 200 OK\r\nContent-Type: application/vnd.oci.image.index.v1+json\r\nContent-Length: 5000\r\n\r\n{"schemaVersion": 2, ');
      if (mode === 'drip') {
        const t = setInterval(() => s.write(' '), 50);
        timers.add(t);
        s.on('close', () => { clearInterval(t); timers.delete(t); });
      }
    });
  });
  const host = await listen(server);
  const close = closer(server);
  return Object.assign(state, { host, close: async () => { for (const t of timers) clearInterval(t); await close(); } });
}

interface Seen { method: string; path: string; authorization: string | null }

/**
 * An HTTP proxy in front of the real registry. `take` may answer a request itself (return true);
 * `answer` may change the registry's status, headers and body before they go back.
 */
async function httpProxy(target: string, o: {
  bind?: string;
  take?: (req: http.IncomingMessage, res: http.ServerResponse, n: number) => boolean;
  answer?: (req: http.IncomingMessage, a: { status: number; headers: http.IncomingHttpHeaders; body: Buffer }) => void;
  /** Extra request headers towards the registry (e.g. credentials a CDN URL would carry itself). */
  inject?: Record<string, string>;
  /** Rewrite the path towards the registry. */
  path?: (p: string) => string;
} = {}): Promise<Closable & { seen: Seen[] }> {
  const seen: Seen[] = [];
  const [th, tp] = target.split(':') as [string, string];
  const server = http.createServer((req, res) => {
    seen.push({ method: req.method ?? '', path: req.url ?? '', authorization: req.headers.authorization ?? null });
    if (o.take?.(req, res, seen.length)) return;
    const headers = { ...req.headers, host: target, ...(o.inject ?? {}) };
    const up = http.request({ host: th, port: Number(tp), method: req.method, path: o.path ? o.path(req.url ?? '/') : req.url, headers }, (ur) => {
      const chunks: Buffer[] = [];
      ur.on('data', (b: Buffer) => chunks.push(b));
      ur.on('end', () => {
        const a = { status: ur.statusCode ?? 502, headers: { ...ur.headers }, body: Buffer.concat(chunks) };
        o.answer?.(req, a);
        if (req.method !== 'HEAD' && a.headers['content-length'] !== undefined) a.headers['content-length'] = String(a.body.length);
        res.writeHead(a.status, a.headers);
        res.end(req.method === 'HEAD' ? undefined : a.body);
      });
    });
    up.on('error', () => { res.writeHead(502).end(); });
    req.pipe(up);
  });
  const host = await listen(server, o.bind);
  return { host, seen, close: closer(server) };
}

// ---- pin-digests over a Dockerfile ------------------------------------------------------------

async function pin(text: string, opts: Record<string, unknown>) {
  const options = resolveOptions([pinDigests], { 'pin-digests': { dockerConfig: emptyDockerConfig(), ...opts } });
  const state = await prepareTransforms([pinDigests], options);
  return runPipeline(text, { transforms: [pinDigests], options, state });
}

/** The faulty reference (line 1, through `host`) stays as written with an error naming `host` and a hint; line 2 is pinned. */
function assertPerReference(r: Awaited<ReturnType<typeof pin>>, text: string, good: BuiltImage, host: string, what: RegExp): void {
  const lines = text.split('\n');
  assert.is(r.text, `${lines[0]}\n${lines[1]}@${good.digest}\n`);
  const errors = r.outcomes.filter((o) => o.kind === 'error');
  assert.is(errors.length, 1, JSON.stringify(r.outcomes));
  assert.is(errors[0]!.line, 1);
  assert.ok(errors[0]!.message.includes(host), errors[0]!.message);
  assert.match(errors[0]!.message, what);
  assert.match(errors[0]!.message, /\(.*(try|check|raise|dial|have|name it).*\)$/, 'a hint says what to do');
}

// ---- the tests ---------------------------------------------------------------------------------

const faults = suite('registry faults (real registry behind fault proxies)');
let reg: TestRegistry;
let node: BuiltImage, golang: BuiltImage;
faults.before(async () => {
  reg = await startRegistry();
  [node, golang] = await reg.push([
    { name: 'library/node', tag: '20', kind: 'oci-index' },
    { name: 'library/golang', tag: '1.22', kind: 'docker' },
  ]) as [BuiltImage, BuiltImage];
});
faults.after(async () => { await reg?.stop(); });

const via = (host: string, extra: ConstructorParameters<typeof RegistryClient>[0] = {}) =>
  new RegistryClient({ registryMap: { 'docker.io': host }, dockerConfigDir: emptyDockerConfig(), ...FAST, ...extra });
const failure = async (p: Promise<unknown>): Promise<RegistryError> => {
  const e = await p.then(() => null, (x: unknown) => x);
  assert.instance(e, RegistryError, `expected a RegistryError, got ${String(e)}`);
  return e as RegistryError;
};
/** Two references: the first through docker.io (mapped to the fault), the second straight to the registry. */
const twoRefs = () => `FROM node:20\nFROM ${reg.host}/library/golang:1.22\n`;

// -- connection reset

faults('reset mid-headers on every try: retried, then a network error naming the host (4 tries)', async () => {
  const p = await resetProxy(reg.host, 'headers');
  try {
    const e = await failure(via(p.host).resolve(ref('node:20')));
    assert.is(e.kind, 'network');
    assert.ok(e.message.startsWith(`connection to ${p.host} was reset before the answer was complete`), e.message);
    assert.match(e.message, /\(4 tries\)$/);
    assert.match(e.hint ?? '', /try again/);
    assert.is(p.connections, 4, 'one try and three retries');
    assert.equal(new Set(p.requests), new Set(['HEAD /v2/library/node/manifests/20']));
  } finally { await p.close(); }
});

faults('reset once, then the retry succeeds', async () => {
  const p = await resetProxy(reg.host, 'headers', 1);
  try {
    const c = via(p.host);
    assert.is((await c.resolve(ref('node:20'))).digest, node.digest);
    assert.is(p.connections, 2);
    assert.is(c.requestCount, 2);
  } finally { await p.close(); }
});

faults('reset mid-body of a GET (platform manifest, manifest()): bounded, never a half-read manifest', async () => {
  const p = await resetProxy(reg.host, 'body');
  try {
    const e = await failure(via(p.host, { retries: 1 }).resolve(ref('node:20'), parsePlatform('linux/arm64')));
    assert.is(e.kind, 'network');
    assert.match(e.message, /was reset before the answer was complete .*\(2 tries\)$/);
    assert.is(p.connections, 2);
    const m = await failure(via(p.host, { retries: 0 }).manifest(ref('node:20')));
    assert.ok(m.message.includes(p.host), m.message);
    assert.is(p.connections, 3, 'retries: 0 means one try');
  } finally { await p.close(); }
});

faults('pin-digests: a reset leaves that reference as written, with an error naming the host', async () => {
  const p = await resetProxy(reg.host, 'headers');
  try {
    const r = await pin(twoRefs(), { registryMap: { 'docker.io': p.host } });
    assertPerReference(r, twoRefs(), golang, p.host, /was reset before the answer was complete/);
  } finally { await p.close(); }
});

// -- a response that never ends

faults('an answer that stalls in its headers times out after timeoutMs, not retried', async () => {
  const h = await hangServer('headers');
  try {
    const t0 = Date.now();
    const e = await failure(via(h.host, { timeoutMs: 300 }).resolve(ref('node:20')));
    const took = Date.now() - t0;
    assert.is(e.kind, 'timeout');
    assert.ok(e.message.startsWith(`timed out after 0.3 s talking to ${h.host}`), e.message);
    assert.match(e.hint ?? '', /--registry-timeout/);
    assert.ok(took >= 280 && took < 1500, `took ${took} ms`);
    assert.is(h.connections, 1, 'a timeout is not retried: a lookup stays bounded');
  } finally { await h.close(); }
});

faults('a body that never ends, or drips forever, times out as a whole', async () => {
  for (const mode of ['body', 'drip'] as const) {
    const h = await hangServer(mode);
    try {
      const t0 = Date.now();
      const e = await failure(via(h.host, { timeoutMs: 400 }).manifest(ref('node:20')));
      const took = Date.now() - t0;
      assert.is(e.kind, 'timeout', `${mode}: ${e.message}`);
      assert.ok(e.message.includes(h.host), e.message);
      assert.ok(took >= 380 && took < 1500, `${mode}: took ${took} ms`);
      // the GET fallback of resolve (a platform manifest) reads the body under the same timeout
      const f = await failure(via(h.host, { timeoutMs: 200 }).resolve(ref('node:20'), parsePlatform('linux/amd64')));
      assert.is(f.kind, 'timeout');
    } finally { await h.close(); }
  }
});

faults('the timeout is configurable and bounded', () => {
  for (const bad of [0, -1, Number.NaN, Number.POSITIVE_INFINITY, 600_001]) {
    assert.throws(() => new RegistryClient({ timeoutMs: bad }), (e: Error) => e instanceof RegistryError && /timeout must be more than 0 and at most 600 s/.test(e.message), String(bad));
  }
  for (const bad of [-1, 1.5, 11]) assert.throws(() => new RegistryClient({ retries: bad }), /retries must be an integer from 0 to 10/);
  new RegistryClient({ timeoutMs: 600_000, retries: 0 });
});

faults('pin-digests: a hang leaves that reference as written, with a timeout error naming the host', async () => {
  const h = await hangServer('headers');
  try {
    const r = await pin(twoRefs(), { registryMap: { 'docker.io': h.host }, registryTimeout: 0.3 });
    assertPerReference(r, twoRefs(), golang, h.host, /timed out after 0\.3 s/);
  } finally { await h.close(); }
});

// -- a wrong Docker-Content-Digest

const FORGED = `sha256:${'0'.repeat(64)}`;
const forging = (target: string) => httpProxy(target, {
  answer: (_q, a) => { if (a.headers['docker-content-digest']) a.headers['docker-content-digest'] = FORGED; },
});

faults('a wrong Docker-Content-Digest on a GET is caught against the body', async () => {
  const p = await forging(reg.host);
  try {
    // the platform manifest path reads the index with GET
    const e = await failure(via(p.host).resolve(ref('node:20'), parsePlatform('linux/arm64')));
    assert.is(e.kind, 'protocol');
    assert.ok(e.message.includes(`docker.io (via ${p.host}) sent a Docker-Content-Digest for node:20 that does not match the manifest bytes`), e.message);
    assert.match(e.hint ?? '', /altering manifests/);
    // manifest() and verifyDigests always read with GET
    assert.match((await failure(via(p.host).manifest(ref('golang:1.22')))).message, /does not match the manifest bytes/);
    assert.match((await failure(via(p.host, { verifyDigests: true }).resolve(ref('node:20')))).message, /does not match the manifest bytes/);
    assert.ok(p.seen.every((q) => q.method === 'GET'), 'all of these read the body');
  } finally { await p.close(); }
});

faults('a HEAD answer has no body to check: taken as the registry\'s word unless verifyDigests', async () => {
  // the decision (src/registry/client.ts): HEAD keeps Docker Hub's rate limit untouched; a wrong digest
  // pinned this way names a manifest BuildKit will not find or will refuse at pull, it cannot slip in bytes
  const p = await forging(reg.host);
  try {
    assert.is((await via(p.host).resolve(ref('golang:1.22'))).digest, FORGED);
    assert.equal(p.seen.map((q) => q.method), ['HEAD']);
    const v = via(p.host, { verifyDigests: true });
    await failure(v.resolve(ref('golang:1.22')));
    // with verifyDigests and an honest registry: one GET, the right digest
    const honest = via(reg.host, { verifyDigests: true });
    assert.equal(await honest.resolve(ref('golang:1.22')), { digest: golang.digest, mediaType: golang.mediaType, kind: 'manifest' });
    assert.equal(await honest.resolve(ref('node:20')), { digest: node.digest, mediaType: node.mediaType, kind: 'index' });
    assert.is(honest.requestCount, 2);
  } finally { await p.close(); }
});

faults('pin-digests --verify-digests turns a forged HEAD digest into an error on that line', async () => {
  const p = await forging(reg.host);
  try {
    const text = 'FROM golang:1.22\n';
    const trusting = await pin(text, { registryMap: { 'docker.io': p.host } });
    assert.is(trusting.text, `FROM golang:1.22@${FORGED}\n`, '~> without the option a HEAD answer is taken as the registry says');
    const checked = await pin(text, { registryMap: { 'docker.io': p.host }, verifyDigests: true });
    assert.is(checked.text, text);
    const err = checked.outcomes.find((o) => o.kind === 'error');
    assert.ok(err && /does not match the manifest bytes/.test(err.message), JSON.stringify(checked.outcomes));
  } finally { await p.close(); }
});

faults('a manifest read by digest must hash to that digest (an altered body, no header)', async () => {
  const arm = node.children.find((c) => c.platform === 'linux/arm64/v8')!.digest;
  const p = await httpProxy(reg.host, {
    answer: (q, a) => {
      delete a.headers['docker-content-digest'];
      if ((q.url ?? '').endsWith(arm)) a.body = Buffer.concat([a.body, Buffer.from(' ')]);
    },
  });
  try {
    const e = await failure(via(p.host).manifest(ref('node:20'), { platform: parsePlatform('linux/arm64') }));
    assert.is(e.kind, 'protocol');
    assert.match(e.message, new RegExp(`sent a manifest for node:20@${arm.slice(0, 19)}… whose bytes hash to sha256:`));
    // the amd64 child is untouched and checks out
    const ok = await via(p.host).manifest(ref('node:20'), { platform: parsePlatform('linux/amd64') });
    assert.is(ok.digest, node.children.find((c) => c.platform === 'linux/amd64')!.digest);
  } finally { await p.close(); }
});

faults('pin-digests --platform: a wrong digest header leaves that reference as written', async () => {
  const p = await forging(reg.host);
  const text = `FROM node:20\nFROM ${reg.host}/library/golang:1.22\n`;
  try {
    const r = await pin(text, { registryMap: { 'docker.io': p.host }, platform: 'linux/amd64' });
    assertPerReference(r, text, golang, p.host, /does not match the manifest bytes/);
  } finally { await p.close(); }
});

// -- 5xx then success

faults('503 twice, then success: three attempts with growing backoff', async () => {
  const p = await httpProxy(reg.host, { take: (_q, res, n) => { if (n > 2) return false; res.writeHead(503).end('busy'); return true; } });
  try {
    const c = via(p.host, { retryDelayMs: 40 });
    const t0 = Date.now();
    assert.is((await c.resolve(ref('node:20'))).digest, node.digest);
    assert.ok(Date.now() - t0 >= 40 + 80, 'backoff 40 ms, then 80 ms');
    assert.equal(p.seen.map((q) => `${q.method} ${q.path}`), Array(3).fill('HEAD /v2/library/node/manifests/20'));
    assert.is(c.requestCount, 3);
  } finally { await p.close(); }
});

faults('a persistent 500 fails after the retries; 501 is not retried', async () => {
  let status = 500;
  const p = await httpProxy(reg.host, { take: (_q, res) => { res.writeHead(status).end(); return true; } });
  try {
    const e = await failure(via(p.host, { retries: 2 }).resolve(ref('node:20')));
    assert.is(e.message, `docker.io (via ${p.host}) answered HTTP 500 for node:20 (3 tries)`);
    assert.is(e.hint, `the registry at ${p.host} is failing; try again later`);
    assert.is(p.seen.length, 3);
    status = 501;
    p.seen.length = 0;
    await failure(via(p.host).resolve(ref('node:20')));
    assert.is(p.seen.length, 1);
  } finally { await p.close(); }
});

faults('a 5xx on the GET of a platform manifest is retried the same way', async () => {
  const p = await httpProxy(reg.host, { take: (q, res, n) => { if (q.method !== 'GET' || n > 1) return false; res.writeHead(502).end(); return true; } });
  try {
    const r = await via(p.host).resolve(ref('node:20'), parsePlatform('linux/arm64'));
    assert.is(r.digest, node.children.find((c) => c.platform === 'linux/arm64/v8')!.digest);
    assert.is(p.seen.length, 2);
  } finally { await p.close(); }
});

faults('pin-digests: a 5xx that does not go away leaves that reference as written', async () => {
  const p = await httpProxy(reg.host, { take: (_q, res) => { res.writeHead(503).end(); return true; } });
  try {
    const r = await pin(twoRefs(), { registryMap: { 'docker.io': p.host } });
    assertPerReference(r, twoRefs(), golang, p.host, /answered HTTP 503 for node:20 \(4 tries\)/);
    assert.is(p.seen.length, 4);
  } finally { await p.close(); }
});

faults.run();

// -- redirects (a registry with Basic auth, so there is an Authorization header to leak)

const redirects = suite('registry faults: redirects');
let breg: TestRegistry;
let app: BuiltImage;
let cfgDir: string;
let basicAuth: string;
redirects.before(async () => {
  breg = await startRegistry({ auth: 'basic' });
  [app] = await breg.push([{ name: 'myorg/app', tag: '1.0', kind: 'oci' }]) as [BuiltImage];
  basicAuth = `Basic ${Buffer.from(`${breg.user}:${breg.password}`).toString('base64')}`;
  cfgDir = tempDir('dockeropt-cfg-');
});
redirects.after(async () => { await breg?.stop(); });

/**
 * Host A (127.0.0.1) fronts the registry and answers an authorised manifest request with a redirect to
 * `to(path)`; host B (127.0.0.2, another loopback host) fronts it too, adding the credentials itself
 * when `inject` (as a presigned CDN URL would need none).
 */
async function redirectPair(inject: boolean, to?: (path: string, b: string) => string) {
  const b = await httpProxy(breg.host, { bind: '127.0.0.2', ...(inject ? { inject: { authorization: basicAuth } } : {}) });
  const a = await httpProxy(breg.host, {
    take: (q, res) => {
      if (!q.headers.authorization || !(q.url ?? '').includes('/manifests/')) return false;
      res.writeHead(307, { Location: to ? to(q.url ?? '/', b.host) : `http://${b.host}${q.url}` }).end();
      return true;
    },
  });
  writeFileSync(join(cfgDir, 'config.json'), JSON.stringify({ auths: { [a.host]: { auth: Buffer.from(`${breg.user}:${breg.password}`).toString('base64') } } }));
  const client = (extra: ConstructorParameters<typeof RegistryClient>[0] = {}) => new RegistryClient({ dockerConfigDir: cfgDir, ...FAST, ...extra });
  return { a, b, client, close: async () => { await a.close(); await b.close(); } };
}

redirects('a redirect to another loopback host is followed without the Authorization header', async () => {
  const x = await redirectPair(true);
  try {
    for (const platform of [null, parsePlatform('linux/amd64')]) {
      assert.is((await x.client().resolve(ref(`${x.a.host}/myorg/app:1.0`), platform)).digest, app.digest);
    }
    assert.is((await x.client().manifest(ref(`${x.a.host}/myorg/app:1.0`))).digest, app.digest);
    assert.ok(x.a.seen.some((q) => q.authorization === basicAuth), 'A, which challenged, got the credentials');
    assert.ok(x.b.seen.length >= 3, 'B served the redirected requests');
    assert.equal(x.b.seen.map((q) => q.authorization), x.b.seen.map(() => null), 'B never saw an Authorization header');
  } finally { await x.close(); }
});

redirects('a redirect target that asks for credentials gets none: a clear error instead', async () => {
  const x = await redirectPair(false);
  try {
    const e = await failure(x.client().resolve(ref(`${x.a.host}/myorg/app:1.0`)));
    assert.is(e.kind, 'unauthorized');
    assert.is(e.message, `${x.a.host} redirected the request for ${x.a.host}/myorg/app:1.0 to ${x.b.host}, which asks for credentials (HTTP 401)`);
    assert.match(e.hint ?? '', /credentials only to the host that asked for them/);
    assert.ok(x.b.seen.length >= 1);
    assert.ok(x.b.seen.every((q) => q.authorization === null), 'B never saw an Authorization header');
    // through pin-digests: that reference is left as written, with the error on its line
    const text = `FROM ${x.a.host}/myorg/app:1.0\n`;
    const r = await pin(text, { dockerConfig: cfgDir });
    assert.is(r.text, text);
    assert.match(r.outcomes[0]?.message ?? '', new RegExp(`redirected the request .* to ${x.b.host.replace(/\./g, '\\.')}, which asks for credentials .*\\(dockeropt sends credentials only`));
    assert.ok(x.b.seen.every((q) => q.authorization === null));
  } finally { await x.close(); }
});

redirects('a redirect on the same host keeps the credentials', async () => {
  const b = await httpProxy(breg.host, { path: (p) => p.replace(/^\/mirror/, '') });
  const a = await httpProxy(breg.host, {
    path: (p) => p.replace(/^\/mirror/, ''),
    take: (q, res) => {
      if (!q.headers.authorization || (q.url ?? '').startsWith('/mirror')) return false;
      res.writeHead(302, { Location: `/mirror${q.url}` }).end();
      return true;
    },
  });
  try {
    writeFileSync(join(cfgDir, 'config.json'), JSON.stringify({ auths: { [a.host]: { username: breg.user, password: breg.password } } }));
    const r = await new RegistryClient({ dockerConfigDir: cfgDir }).resolve(ref(`${a.host}/myorg/app:1.0`));
    assert.is(r.digest, app.digest);
    assert.ok(a.seen.some((q) => q.path.startsWith('/mirror/') && q.authorization === basicAuth));
    assert.is(b.seen.length, 0);
  } finally { await a.close(); await b.close(); }
});

redirects('redirects only to https or loopback; at most 5 hops', async () => {
  const plain = await redirectPair(true, (path) => `http://registry.example.invalid${path}`);
  try {
    const e = await failure(plain.client().resolve(ref(`${plain.a.host}/myorg/app:1.0`)));
    assert.is(e.message, `refusing to follow a redirect from ${plain.a.host} to plain HTTP at registry.example.invalid`);
    assert.match(e.hint ?? '', /only to https or loopback hosts; if registry\.example\.invalid is trusted, name it with --insecure-registry/);
    const other = await redirectPair(true, (path) => `ftp://${'127.0.0.1'}${path}`);
    try {
      assert.match((await failure(other.client().resolve(ref(`${other.a.host}/myorg/app:1.0`)))).message, /refusing to follow a redirect .* to a ftp URL/);
    } finally { await other.close(); }
  } finally { await plain.close(); }
  const loop = await redirectPair(true, (path, _b) => path);
  try {
    const c = loop.client();
    const e = await failure(c.resolve(ref(`${loop.a.host}/myorg/app:1.0`)));
    assert.match(e.message, new RegExp(`${loop.a.host.replace(/\./g, '\\.')} redirected more than 5 times`));
    assert.is(loop.a.seen.filter((q) => q.authorization !== null).length, 6, 'the request and 5 redirected hops');
  } finally { await loop.close(); }
});

redirects.run();
