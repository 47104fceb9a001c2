/**
 * A real OCI registry for tests: Debian's `docker-registry` (CNCF distribution) on 127.0.0.1 with a temp
 * storage dir and a free port, started and stopped by the tests. Test images are built here with
 * deterministic bytes (uncompressed tar layers, fixed JSON), so their digests are the same on every run,
 * and pushed through the registry HTTP API (blob upload, manifest PUT), never with a Docker engine.
 *
 * Auth modes: none; `basic` (htpasswd with bcrypt entries, made by apache2-utils' htpasswd); `token`
 * (Bearer JWTs from a small token server in this process, RS256 with an x5c header, which the registry
 * verifies against `auth.token.rootcertbundle`: a self-signed certificate made with openssl).
 *
 * Missing packages (docker-registry, apache2-utils, openssl) are installed with apt-get when running as
 * root; otherwise this throws. Registry tests never skip.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash, randomUUID, sign as rsaSign } from 'node:crypto';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { tempDir } from './tmp.js';
import { ensurePackages } from './packages.js';
import { join } from 'node:path';

export const MT = {
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar',
  dockerLayer: 'application/vnd.docker.image.rootfs.diff.tar',
} as const;

export type ImageKind = 'oci' | 'docker' | 'oci-index' | 'docker-list';

export interface ImageSpec {
  /** Repository path, e.g. `library/node`. */
  name: string;
  tag: string;
  kind: ImageKind;
  /** Default: linux/amd64, or linux/amd64 + linux/arm64/v8 for the index kinds. */
  platforms?: string[];
  /** Another salt gives other bytes: "the tag moved upstream". */
  salt?: string;
}

export interface BuiltImage {
  spec: ImageSpec;
  /** Digest of what the tag points at (the index for index kinds). */
  digest: string;
  mediaType: string;
  children: { platform: string; digest: string }[];
  blobs: Map<string, Buffer>;
  /** Manifests to push, children first; the last one is the tagged one. */
  manifests: { digest: string; mediaType: string; bytes: Buffer }[];
}

const sha = (b: Buffer | string) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** A one-file ustar archive with fixed metadata. */
function tarOf(path: string, content: string): Buffer {
  const body = Buffer.from(content);
  const h = Buffer.alloc(512);
  const put = (s: string, off: number, len: number) => h.write(s.slice(0, len), off, 'ascii');
  const oct = (n: number, len: number) => n.toString(8).padStart(len - 1, '0') + '\0';
  put(path, 0, 100);
  put(oct(0o644, 8), 100, 8);
  put(oct(0, 8), 108, 8);
  put(oct(0, 8), 116, 8);
  put(oct(body.length, 12), 124, 12);
  put(oct(1704067200, 12), 136, 12);
  h.fill(' ', 148, 156);
  put('0', 156, 1);
  put('ustar\0', 257, 6);
  put('00', 263, 2);
  let sum = 0;
  for (const b of h) sum += b;
  put(oct(sum, 7) + ' ', 148, 8);
  const pad = Buffer.alloc((512 - (body.length % 512)) % 512);
  return Buffer.concat([h, body, pad, Buffer.alloc(1024)]);
}

/** Builds an image's blobs and manifests, deterministically from the spec. */
export function buildImage(spec: ImageSpec): BuiltImage {
  const index = spec.kind === 'oci-index' || spec.kind === 'docker-list';
  const oci = spec.kind === 'oci' || spec.kind === 'oci-index';
  const platforms = spec.platforms ?? (index ? ['linux/amd64', 'linux/arm64/v8'] : ['linux/amd64']);
  if (!index && platforms.length !== 1) throw new Error(`${spec.name}:${spec.tag}: a single manifest has one platform`);
  const blobs = new Map<string, Buffer>();
  const manifests: BuiltImage['manifests'] = [];
  const children: BuiltImage['children'] = [];
  for (const p of platforms) {
    const [os, architecture, variant] = p.split('/') as [string, string, string?];
    const layer = tarOf('etc/dockeropt-test-image', `${spec.name}:${spec.tag} ${p} salt=${spec.salt ?? 'v1'}\n`);
    const config = Buffer.from(JSON.stringify({
      architecture, os, ...(variant ? { variant } : {}), created: '2024-01-01T00:00:00Z',
      config: { Env: ['PATH=/usr/local/bin:/usr/bin:/bin'], Cmd: ['/bin/sh'] },
      rootfs: { type: 'layers', diff_ids: [sha(layer)] },
    }));
    blobs.set(sha(layer), layer);
    blobs.set(sha(config), config);
    const mediaType = oci ? MT.ociManifest : MT.dockerManifest;
    const bytes = Buffer.from(JSON.stringify({
      schemaVersion: 2, mediaType,
      config: { mediaType: oci ? MT.ociConfig : MT.dockerConfig, size: config.length, digest: sha(config) },
      layers: [{ mediaType: oci ? MT.ociLayer : MT.dockerLayer, size: layer.length, digest: sha(layer) }],
    }));
    manifests.push({ digest: sha(bytes), mediaType, bytes });
    children.push({ platform: p, digest: sha(bytes) });
  }
  if (!index) return { spec, digest: manifests[0]!.digest, mediaType: manifests[0]!.mediaType, children: [], blobs, manifests };
  const mediaType = oci ? MT.ociIndex : MT.dockerList;
  const bytes = Buffer.from(JSON.stringify({
    schemaVersion: 2, mediaType,
    manifests: manifests.map((m, i) => {
      const [os, architecture, variant] = platforms[i]!.split('/') as [string, string, string?];
      return { mediaType: m.mediaType, size: m.bytes.length, digest: m.digest, platform: { architecture, os, ...(variant ? { variant } : {}) } };
    }),
  }));
  manifests.push({ digest: sha(bytes), mediaType, bytes });
  return { spec, digest: sha(bytes), mediaType, children, blobs, manifests };
}

// ---- packages ---------------------------------------------------------------------------------

/** Installs docker-registry, apache2-utils and openssl from Debian when missing; throws when it cannot. */
export function ensureRegistryPackages(): void {
  ensurePackages([['docker-registry', 'docker-registry'], ['htpasswd', 'apache2-utils'], ['openssl', 'openssl']], 'the registry tests');
}

// ---- processes and ports ----------------------------------------------------------------------

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

const live = new Set<ChildProcess>();
process.on('exit', () => { for (const c of live) if (c.pid && c.exitCode === null) try { process.kill(c.pid, 'SIGKILL'); } catch { /* gone */ } });

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---- token server -----------------------------------------------------------------------------

export interface TokenServer {
  url: string;
  /** Every token request: the scope asked for and who asked (user name or '' for anonymous). */
  requests: { scope: string; user: string }[];
  /** Tokens handed out (tests check none of them leaks into output). */
  issued: string[];
  close(): Promise<void>;
}

async function startTokenServer(o: { keyPem: string; certPem: string; issuer: string; service: string; user: string; password: string; anonPull: boolean }): Promise<TokenServer> {
  const certDer = o.certPem.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '');
  const b64u = (b: Buffer | string) => Buffer.from(b).toString('base64url');
  const requests: TokenServer['requests'] = [];
  const issued: string[] = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname !== '/token' || req.method !== 'GET') { res.writeHead(404).end(); return; }
    const h = req.headers.authorization ?? '';
    let user = '';
    if (h) {
      const m = /^Basic (.+)$/.exec(h);
      const dec = m ? Buffer.from(m[1]!, 'base64').toString() : '';
      if (dec !== `${o.user}:${o.password}`) { res.writeHead(401, { 'Content-Type': 'application/json' }).end('{"errors":[{"code":"UNAUTHORIZED"}]}'); return; }
      user = o.user;
    }
    const scopes = url.searchParams.getAll('scope').flatMap((s) => s.split(' ')).filter(Boolean);
    const access = scopes.map((s) => {
      const first = s.indexOf(':'), last = s.lastIndexOf(':');
      requests.push({ scope: s, user });
      let actions = s.slice(last + 1).split(',');
      if (!user) actions = o.anonPull ? actions.filter((a) => a === 'pull') : [];
      return { type: s.slice(0, first), name: s.slice(first + 1, last), actions };
    });
    const now = Math.floor(Date.now() / 1000);
    const head = b64u(JSON.stringify({ typ: 'JWT', alg: 'RS256', x5c: [certDer] }));
    const claims = b64u(JSON.stringify({ iss: o.issuer, sub: user, aud: url.searchParams.get('service') ?? o.service, exp: now + 300, nbf: now - 10, iat: now, jti: randomUUID(), access }));
    const token = `${head}.${claims}.${b64u(rsaSign('sha256', Buffer.from(`${head}.${claims}`), o.keyPem))}`;
    issued.push(token);
    res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ token, access_token: token, expires_in: 300 }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  server.unref();
  const port = (server.address() as net.AddressInfo).port;
  return { url: `http://127.0.0.1:${port}/token`, requests, issued, close: () => new Promise((r) => server.close(() => r())) };
}

// ---- the registry -----------------------------------------------------------------------------

export interface RegistryOptions {
  auth?: 'none' | 'basic' | 'token';
  user?: string;
  password?: string;
  /** token mode: anonymous clients may pull. */
  anonPull?: boolean;
}

export interface TestRegistry {
  /** `127.0.0.1:PORT` */
  host: string;
  url: string;
  dir: string;
  auth: 'none' | 'basic' | 'token';
  user: string;
  password: string;
  token: TokenServer | null;
  /** The registry's log (access log included). */
  log(): string;
  push(images: ImageSpec[]): Promise<BuiltImage[]>;
  stop(): Promise<void>;
}

export async function startRegistry(opts: RegistryOptions = {}): Promise<TestRegistry> {
  ensureRegistryPackages();
  const auth = opts.auth ?? 'none';
  const user = opts.user ?? 'alice', password = opts.password ?? 'pw-not-for-output-7f3a';
  const dir = mkdtempSync(join(tmpdir(), 'dockeropt-registry-'));
  let token: TokenServer | null = null;
  let authYaml = '';
  if (auth === 'basic') {
    const r = spawnSync('htpasswd', ['-Bbn', user, password], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`htpasswd failed: ${r.stderr}`);
    writeFileSync(join(dir, 'htpasswd'), r.stdout.trim() + '\n');
    authYaml = `auth:\n  htpasswd:\n    realm: dockeropt-test\n    path: ${join(dir, 'htpasswd')}\n`;
  } else if (auth === 'token') {
    const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-sha256', '-days', '2', '-subj', '/CN=dockeropt-test-issuer',
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`openssl failed: ${r.stderr}`);
    token = await startTokenServer({ keyPem: readFileSync(join(dir, 'key.pem'), 'utf8'), certPem: readFileSync(join(dir, 'cert.pem'), 'utf8'),
      issuer: 'dockeropt-test-issuer', service: 'dockeropt-test-registry', user, password, anonPull: Boolean(opts.anonPull) });
    authYaml = `auth:\n  token:\n    realm: ${token.url}\n    service: dockeropt-test-registry\n    issuer: dockeropt-test-issuer\n    rootcertbundle: ${join(dir, 'cert.pem')}\n`;
  }
  let lastError = '';
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const host = `127.0.0.1:${port}`;
    const cfg = join(dir, 'config.yml');
    writeFileSync(cfg, `version: 0.1
log:
  level: info
  accesslog:
    disabled: false
storage:
  filesystem:
    rootdirectory: ${join(dir, 'storage')}
  delete:
    enabled: true
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: ${host}
  secret: dockeropt-test-${port}
${authYaml}`);
    const logPath = join(dir, 'registry.log');
    const fd = openSync(logPath, 'w');
    const child = spawn('docker-registry', ['serve', cfg], { stdio: ['ignore', fd, fd] });
    closeSync(fd);
    live.add(child);
    child.unref();
    const exited = new Promise<void>((r) => child.once('exit', () => { live.delete(child); r(); }));
    const started = Date.now();
    let up = false;
    while (Date.now() - started < 10_000 && child.exitCode === null) {
      try {
        const res = await fetch(`http://${host}/v2/`, { signal: AbortSignal.timeout(1000) });
        await res.arrayBuffer();
        if (res.status === 200 || res.status === 401) { up = true; break; }
      } catch { /* not yet */ }
      await sleep(50);
    }
    const log = () => (existsSync(logPath) ? readFileSync(logPath, 'utf8') : '');
    if (!up) {
      lastError = log().split('\n').slice(-10).join('\n');
      if (child.exitCode === null) child.kill('SIGKILL');
      await exited;
      continue;
    }
    const reg: TestRegistry = {
      host, url: `http://${host}`, dir, auth, user, password, token, log,
      push: (images) => pushImages(reg, images),
      async stop() {
        if (child.exitCode === null) {
          child.kill('SIGTERM');
          const t = setTimeout(() => child.kill('SIGKILL'), 3000);
          await exited;
          clearTimeout(t);
        }
        await token?.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
    return reg;
  }
  await token?.close();
  rmSync(dir, { recursive: true, force: true });
  throw new Error(`docker-registry did not start on 127.0.0.1:\n${lastError}`);
}

// ---- pushing (the test's own minimal client: handles Basic and Bearer for pull,push) ----------

async function pushImages(reg: TestRegistry, images: ImageSpec[]): Promise<BuiltImage[]> {
  const tokens = new Map<string, string>();
  const basic = `Basic ${Buffer.from(`${reg.user}:${reg.password}`).toString('base64')}`;
  const call = async (repo: string, method: string, url: string, headers: Record<string, string> = {}, body?: Buffer): Promise<Response> => {
    const go = (auth: string | null) => fetch(url.startsWith('http') ? url : `${reg.url}${url}`, {
      method, headers: { ...headers, ...(auth ? { Authorization: auth } : {}) }, ...(body ? { body } : {}),
    });
    const scope = `repository:${repo}:pull,push`;
    let auth: string | null = reg.auth === 'basic' ? basic : tokens.get(scope) ? `Bearer ${tokens.get(scope)}` : null;
    let res = await go(auth);
    if (res.status === 401 && reg.auth === 'token' && reg.token) {
      await res.arrayBuffer();
      const t = await fetch(`${reg.token.url}?service=dockeropt-test-registry&scope=${encodeURIComponent(scope)}`, { headers: { Authorization: basic } });
      const tok = ((await t.json()) as { token: string }).token;
      tokens.set(scope, tok);
      auth = `Bearer ${tok}`;
      res = await go(auth);
    }
    return res;
  };
  const out: BuiltImage[] = [];
  for (const spec of images) {
    const img = buildImage(spec);
    for (const [digest, bytes] of img.blobs) {
      const head = await call(spec.name, 'HEAD', `/v2/${spec.name}/blobs/${digest}`);
      if (head.status === 200) continue;
      const start = await call(spec.name, 'POST', `/v2/${spec.name}/blobs/uploads/`, { 'Content-Length': '0' });
      await start.arrayBuffer();
      if (start.status !== 202) throw new Error(`upload start for ${spec.name}: HTTP ${start.status}`);
      const loc = start.headers.get('location')!;
      const put = await call(spec.name, 'PUT', `${loc}${loc.includes('?') ? '&' : '?'}digest=${encodeURIComponent(digest)}`, { 'Content-Type': 'application/octet-stream' }, bytes);
      await put.arrayBuffer();
      if (put.status !== 201) throw new Error(`blob upload ${digest} to ${spec.name}: HTTP ${put.status}`);
    }
    const last = img.manifests.length - 1;
    for (let i = 0; i <= last; i++) {
      const m = img.manifests[i]!;
      const refs = i === last ? [m.digest, spec.tag] : [m.digest];
      for (const ref of refs) {
        const put = await call(spec.name, 'PUT', `/v2/${spec.name}/manifests/${ref}`, { 'Content-Type': m.mediaType }, m.bytes);
        const text = await put.text();
        if (put.status !== 201) throw new Error(`manifest ${spec.name}:${ref}: HTTP ${put.status} ${text}`);
        if (put.headers.get('docker-content-digest') !== m.digest) throw new Error(`registry digest differs for ${spec.name}:${ref}`);
      }
    }
    out.push(img);
  }
  return out;
}

// ---- a counting (and fault-injecting) proxy in front of a registry ---------------------------

export interface ProxiedRequest { method: string; path: string; authorization: string | null }

export interface CountingProxy {
  host: string;
  requests: ProxiedRequest[];
  /** Return true after answering `res` yourself to take over a request (429, a missing header…). */
  intercept: ((req: http.IncomingMessage, res: http.ServerResponse, n: number) => boolean) | null;
  /** Drop this response header from every answer (e.g. docker-content-digest). */
  dropHeaders: Set<string>;
  close(): Promise<void>;
}

export async function startProxy(target: string, port = 0): Promise<CountingProxy> {
  const proxy: CountingProxy = { host: '', requests: [], intercept: null, dropHeaders: new Set(), close: async () => {} };
  const server = http.createServer((req, res) => {
    proxy.requests.push({ method: req.method ?? '', path: req.url ?? '', authorization: req.headers.authorization ?? null });
    if (proxy.intercept?.(req, res, proxy.requests.length)) return;
    const up = http.request({ host: target.split(':')[0], port: Number(target.split(':')[1]), method: req.method, path: req.url, headers: { ...req.headers, host: target } }, (ur) => {
      const headers = { ...ur.headers };
      for (const h of proxy.dropHeaders) delete headers[h];
      res.writeHead(ur.statusCode ?? 502, headers);
      ur.pipe(res);
    });
    up.on('error', () => { res.writeHead(502).end(); });
    req.pipe(up);
  });
  await new Promise<void>((r, j) => { server.once('error', j); server.listen(port, '127.0.0.1', () => { server.off('error', j); r(); }); });
  server.unref();
  proxy.host = `127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  proxy.close = () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); });
  return proxy;
}

/** An empty docker config dir, so a developer's ~/.docker never leaks into a test. */
export function emptyDockerConfig(): string {
  return tempDir('dockeropt-dockercfg-');
}

