/**
 * A small OCI distribution client: resolves a tag to the digest `docker pull` would use, with Node's
 * fetch. What it does, and why:
 * - `HEAD /v2/<name>/manifests/<tag>` with an Accept header listing the OCI index, Docker manifest list,
 *   OCI manifest and Docker v2 manifest types. With fewer types a registry may answer with a converted
 *   manifest (distribution 2.8 turns a manifest list into the amd64 child or a schema1 document), so a
 *   multi-arch tag would silently pin to one platform. A schema1 (`prettyjws`) answer is rejected.
 * - `Docker-Content-Digest` of the HEAD answer is the digest. When a registry omits it (or a platform
 *   manifest is wanted), `GET` and sha256 of the exact body bytes; a header that disagrees with the body
 *   is an error.
 * - Auth: anonymous first; on 401 the `WWW-Authenticate` challenge says Basic or Bearer. Bearer gets one
 *   token per repository scope (cached, and the challenge is remembered per host so later repositories
 *   skip the anonymous round trip). Credentials come from the docker config (see credentials.ts) and
 *   are only sent over HTTPS or to loopback / --insecure-registry hosts.
 * - Plain HTTP only for loopback hosts and hosts named by --insecure-registry.
 * - 429 and 502/503/504 are retried a bounded number of times, honouring Retry-After; every request
 *   has a timeout; DNS, connection and TLS errors name the host.
 * - `resolve` deduplicates: one lookup per (reference, platform) per client, whether it is in flight or
 *   done, and at most `jobs` lookups run at once.
 */
import { createHash } from 'node:crypto';
import { CredentialStore, type Credentials } from './credentials.js';
import { RegistryError } from './errors.js';
import { DIGEST, DOCKER_HUB, DOCKER_HUB_API_HOST, canonical, familiar, isLoopbackHost, type ImageRef } from './reference.js';

export { RegistryError } from './errors.js';

export const MEDIA = {
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
} as const;
const ACCEPT = [MEDIA.ociIndex, MEDIA.dockerList, MEDIA.ociManifest, MEDIA.dockerManifest].join(', ');
const INDEX_TYPES = new Set<string>([MEDIA.ociIndex, MEDIA.dockerList]);
const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

export interface Platform { os: string; architecture: string; variant: string | null }

/** `linux/arm64`, `linux/arm64/v8`, `linux/arm/v7`; arm64 means v8 and plain arm means v7, as containerd reads them. */
export function parsePlatform(s: string): Platform {
  const parts = s.trim().toLowerCase().split('/');
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => !/^[a-z0-9_.-]+$/.test(p))) {
    throw new RegistryError(`invalid platform "${s}" (expected os/arch[/variant], e.g. linux/arm64)`, undefined, 'config');
  }
  let [os, architecture, variant = null] = parts as [string, string, string?];
  if (architecture === 'aarch64') architecture = 'arm64';
  if (architecture === 'x86_64' || architecture === 'x86-64') architecture = 'amd64';
  if (architecture === 'arm64' && variant === null) variant = 'v8';
  if (architecture === 'arm' && variant === null) variant = 'v7';
  return { os, architecture, variant };
}

export function formatPlatform(p: Platform): string {
  return `${p.os}/${p.architecture}${p.variant ? `/${p.variant}` : ''}`;
}

function platformMatches(want: Platform, got: { os?: string; architecture?: string; variant?: string } | undefined): boolean {
  if (!got || got.os !== want.os || got.architecture !== want.architecture) return false;
  let variant = got.variant ?? null;
  if (got.architecture === 'arm64' && variant === null) variant = 'v8';
  if (got.architecture === 'arm' && variant === null) variant = 'v7';
  return (want.variant ?? null) === variant;
}

export interface Resolution {
  /** The digest to pin: the tag's manifest (index or single), or the platform manifest under `platform`. */
  digest: string;
  mediaType: string;
  /** What the tag points at. */
  kind: 'index' | 'manifest';
  /** Set when a platform manifest was picked out of an index. */
  platform?: string;
}

export interface RegistryClientOptions {
  /** Per request, in milliseconds (default 10 s). */
  timeoutMs?: number;
  /** Lookups running at once (default 8). */
  jobs?: number;
  /** Hosts (with port when dialled with one) that may be spoken to over plain HTTP. */
  insecureRegistries?: readonly string[];
  /** Dial another host for a registry, e.g. `{ "docker.io": "127.0.0.1:5000" }` (tests, mirrors). */
  registryMap?: Readonly<Record<string, string>>;
  /** Directory holding config.json (default $DOCKER_CONFIG or ~/.docker). */
  dockerConfigDir?: string | null;
  /** Retries of 429/502/503/504 (default 3); a Retry-After longer than maxRetryAfterMs fails at once. */
  retries?: number;
  maxRetryAfterMs?: number;
  env?: NodeJS.ProcessEnv;
  /** Request log (method, URL, status); never receives credentials or tokens. */
  log?: (line: string) => void;
  fetch?: typeof fetch;
}

interface Challenge { scheme: 'basic' | 'bearer'; params: Record<string, string> }

/** Parses a WWW-Authenticate header (one challenge; quoted values may contain commas). */
export function parseChallenge(header: string): Challenge | null {
  const m = /^\s*(\w+)\s*(.*)$/s.exec(header);
  if (!m) return null;
  const scheme = m[1]!.toLowerCase();
  if (scheme !== 'basic' && scheme !== 'bearer') return null;
  const params: Record<string, string> = {};
  const re = /([\w-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))\s*,?\s*/g;
  let p: RegExpExecArray | null;
  while ((p = re.exec(m[2]!)) !== null) {
    if (p[0] === '') break;
    params[p[1]!.toLowerCase()] = p[2] !== undefined ? p[2].replace(/\\(.)/g, '$1') : (p[3] ?? '');
  }
  return { scheme, params };
}

/** Retry-After as milliseconds (seconds or an HTTP date), or null. */
function retryAfterMs(h: string | null): number | null {
  if (!h) return null;
  if (/^\d+$/.test(h.trim())) return Number(h.trim()) * 1000;
  const t = Date.parse(h);
  return Number.isNaN(t) ? null : Math.max(0, t - Date.now());
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class RegistryClient {
  readonly credentials: CredentialStore;
  private readonly resolved = new Map<string, Promise<Resolution>>();
  private readonly tokens = new Map<string, Promise<string>>();
  private readonly challenges = new Map<string, Challenge>();
  private readonly insecure: Set<string>;
  private readonly fetchFn: typeof fetch;
  private running = 0;
  private readonly waiting: (() => void)[] = [];
  /** Requests sent to registries and token servers (for --debug and tests). */
  requestCount = 0;

  constructor(private readonly opts: RegistryClientOptions = {}) {
    this.credentials = new CredentialStore({ configDir: opts.dockerConfigDir ?? null, ...(opts.env ? { env: opts.env } : {}) });
    this.insecure = new Set((opts.insecureRegistries ?? []).map((h) => h.toLowerCase()));
    this.fetchFn = opts.fetch ?? fetch;
  }

  /** Resolves a tag (or, for an already pinned reference, its tag) once per client; see the module comment. */
  resolve(ref: ImageRef, platform: Platform | null = null): Promise<Resolution> {
    if (ref.tag === null) return Promise.reject(new RegistryError(`${familiar(ref)} has no tag to resolve`, undefined, 'config'));
    const key = `${canonical({ ...ref, digest: null })}|${platform ? formatPlatform(platform) : ''}`;
    let p = this.resolved.get(key);
    if (!p) {
      p = this.limited(() => this.lookup(ref, platform));
      this.resolved.set(key, p);
    }
    return p;
  }

  private async limited<T>(fn: () => Promise<T>): Promise<T> {
    const jobs = Math.max(1, this.opts.jobs ?? 8);
    while (this.running >= jobs) await new Promise<void>((r) => this.waiting.push(r));
    this.running++;
    try {
      return await fn();
    } finally {
      this.running--;
      this.waiting.shift()?.();
    }
  }

  /** The host actually dialled for a registry. */
  dialHost(registry: string): string {
    const mapped = this.opts.registryMap?.[registry];
    if (mapped) return mapped.toLowerCase();
    return registry === DOCKER_HUB ? DOCKER_HUB_API_HOST : registry;
  }

  private scheme(host: string, registry: string): 'http' | 'https' {
    return isLoopbackHost(host) || this.insecure.has(host) || this.insecure.has(registry) ? 'http' : 'https';
  }

  private async lookup(ref: ImageRef, platform: Platform | null): Promise<Resolution> {
    const host = this.dialHost(ref.registry);
    const base = `${this.scheme(host, ref.registry)}://${host}`;
    const url = `${base}/v2/${ref.repository}/manifests/${ref.tag}`;
    const name = familiar({ ...ref, digest: null });
    const where = host === ref.registry || (ref.registry === DOCKER_HUB && host === DOCKER_HUB_API_HOST) ? ref.registry : `${ref.registry} (via ${host})`;

    let headerDigest: string | null = null;
    let mediaType = '';
    if (!platform) {
      const res = await this.authed('HEAD', url, ref, host, where);
      await this.check(res, name, where, host);
      headerDigest = res.headers.get('docker-content-digest');
      mediaType = (res.headers.get('content-type') ?? '').split(';')[0]!.trim();
      rejectSchema1(mediaType, name, where);
      if (headerDigest !== null && DIGEST.test(headerDigest) && mediaType !== '') {
        return { digest: headerDigest, mediaType, kind: INDEX_TYPES.has(mediaType) ? 'index' : 'manifest' };
      }
      if (headerDigest !== null && !DIGEST.test(headerDigest)) {
        throw new RegistryError(`${where} sent an invalid Docker-Content-Digest for ${name}`, undefined, 'protocol');
      }
    }
    // no usable digest header, or a platform manifest is wanted: read the manifest and hash its bytes
    const res = await this.authed('GET', url, ref, host, where);
    await this.check(res, name, where, host);
    mediaType = (res.headers.get('content-type') ?? '').split(';')[0]!.trim();
    rejectSchema1(mediaType, name, where);
    const body = await readLimited(res, MAX_MANIFEST_BYTES, name);
    const digest = `sha256:${createHash('sha256').update(body).digest('hex')}`;
    const claimed = res.headers.get('docker-content-digest');
    if (claimed !== null && claimed !== digest) {
      throw new RegistryError(`${where} sent a Docker-Content-Digest for ${name} that does not match the manifest bytes`, 'the registry or a proxy in between is altering manifests', 'protocol');
    }
    let doc: { mediaType?: string; schemaVersion?: number; manifests?: { digest?: string; mediaType?: string; platform?: { os?: string; architecture?: string; variant?: string } }[] };
    try {
      doc = JSON.parse(body.toString('utf8'));
    } catch {
      throw new RegistryError(`${where} sent a manifest for ${name} that is not JSON`, undefined, 'protocol');
    }
    if (doc.schemaVersion === 1) throw new RegistryError(`${where} only offers a schema1 manifest for ${name}`, 'schema1 digests are not stable; push the image again with a current client', 'protocol');
    if (!mediaType) mediaType = doc.mediaType ?? (Array.isArray(doc.manifests) ? MEDIA.ociIndex : MEDIA.ociManifest);
    const kind = INDEX_TYPES.has(mediaType) || Array.isArray(doc.manifests) ? 'index' : 'manifest';
    if (!platform || kind === 'manifest') return { digest, mediaType, kind };
    const child = (doc.manifests ?? []).find((m) => platformMatches(platform, m.platform));
    if (!child || typeof child.digest !== 'string' || !DIGEST.test(child.digest)) {
      const have = (doc.manifests ?? []).map((m) => (m.platform ? formatPlatform({ os: m.platform.os ?? '?', architecture: m.platform.architecture ?? '?', variant: m.platform.variant ?? null }) : '?')).filter((p) => !p.startsWith('unknown/'));
      throw new RegistryError(`${name} has no ${formatPlatform(platform)} image (it has ${have.join(', ') || 'none'})`, 'choose another --platform, or leave it out to pin the multi-platform index', 'not-found');
    }
    return { digest: child.digest, mediaType: child.mediaType ?? '', kind: 'index', platform: formatPlatform(platform) };
  }

  private async check(res: Response, name: string, where: string, host: string): Promise<void> {
    if (res.ok) return;
    await res.arrayBuffer().catch(() => undefined);
    if (res.status === 404) {
      throw new RegistryError(`${name} was not found on ${where} (HTTP 404: unknown repository or tag)`, 'check the image name and tag', 'not-found');
    }
    if (res.status === 401 || res.status === 403) {
      throw new RegistryError(`${where} refused access to ${name} (HTTP ${res.status})`, `log in with: docker login ${host === DOCKER_HUB_API_HOST ? '' : host}`.trimEnd() + ' (dockeropt reads ~/.docker/config.json and its credential helpers)', 'unauthorized');
    }
    if (res.status === 429) throw new RegistryError(`${where} is rate limiting requests (HTTP 429) for ${name}`, 'try again later, or log in for a higher limit', 'rate-limited');
    throw new RegistryError(`${where} answered HTTP ${res.status} for ${name}`, undefined, 'protocol');
  }

  /** A request with auth: a known challenge is answered up front; otherwise anonymous, then the challenge. */
  private async authed(method: 'HEAD' | 'GET', url: string, ref: ImageRef, host: string, where: string): Promise<Response> {
    const known = this.challenges.get(host);
    let auth = known ? await this.authorization(known, ref, host, where) : null;
    let res = await this.send(method, url, auth, host);
    if (res.status !== 401) return res;
    const header = res.headers.get('www-authenticate');
    const challenge = header ? parseChallenge(header) : null;
    if (!challenge) return res;
    const before = auth;
    this.challenges.set(host, challenge);
    auth = await this.authorization(challenge, ref, host, where);
    // the cached token was refused (it expired during a long run): ask for a fresh one, once
    if (auth !== null && auth === before && challenge.scheme === 'bearer') auth = await this.authorization(challenge, ref, host, where, true);
    if (auth === null || auth === before) return res;
    await res.arrayBuffer().catch(() => undefined);
    res = await this.send(method, url, auth, host);
    return res;
  }

  private credentialsFor(host: string): Promise<Credentials | null> {
    return this.credentials.get(host === DOCKER_HUB_API_HOST ? DOCKER_HUB : host);
  }

  private async authorization(ch: Challenge, ref: ImageRef, host: string, where: string, fresh = false): Promise<string | null> {
    if (ch.scheme === 'basic') {
      const c = await this.credentialsFor(host);
      if (!c || c.identityToken) return null;
      this.requireSafeTransport(`${this.scheme(host, ref.registry)}://${host}`, host, where);
      return `Basic ${Buffer.from(`${c.username}:${c.secret}`).toString('base64')}`;
    }
    const realm = ch.params.realm;
    if (!realm) throw new RegistryError(`${where} sent a Bearer challenge without a realm`, undefined, 'protocol');
    const scope = `repository:${ref.repository}:pull`;
    const service = ch.params.service ?? '';
    const key = `${realm}\0${service}\0${scope}`;
    let p = fresh ? undefined : this.tokens.get(key);
    if (!p) {
      p = this.fetchToken(realm, service, scope, host, where);
      this.tokens.set(key, p);
      p.catch(() => this.tokens.delete(key));
    }
    return `Bearer ${await p}`;
  }

  private requireSafeTransport(url: string, host: string, where: string): void {
    const u = new URL(url);
    if (u.protocol === 'https:') return;
    const h = u.host.toLowerCase();
    if (isLoopbackHost(h) || this.insecure.has(h) || this.insecure.has(host)) return;
    throw new RegistryError(`refusing to send credentials for ${where} over plain HTTP to ${h}`, `use HTTPS, or name the host with --insecure-registry ${h}`, 'config');
  }

  private async fetchToken(realm: string, service: string, scope: string, host: string, where: string): Promise<string> {
    let url: URL;
    try {
      url = new URL(realm);
    } catch {
      throw new RegistryError(`${where} sent an invalid token realm`, undefined, 'protocol');
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new RegistryError(`${where} sent a token realm that is not HTTP(S)`, undefined, 'protocol');
    const creds = await this.credentialsFor(host);
    if (creds) this.requireSafeTransport(url.href, host, where);
    let res: Response;
    if (creds?.identityToken) {
      const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: creds.secret, service, scope, client_id: 'dockeropt' });
      res = await this.send('POST', url.href, null, url.host, { body: form.toString(), contentType: 'application/x-www-form-urlencoded' });
    } else {
      if (service) url.searchParams.set('service', service);
      url.searchParams.set('scope', scope);
      const auth = creds ? `Basic ${Buffer.from(`${creds.username}:${creds.secret}`).toString('base64')}` : null;
      res = await this.send('GET', url.href, auth, url.host);
    }
    if (!res.ok) {
      await res.arrayBuffer().catch(() => undefined);
      if (res.status === 401 || res.status === 403) {
        throw new RegistryError(`the token server of ${where} rejected the ${creds ? 'stored credentials' : 'anonymous request'} (HTTP ${res.status})`, `log in again with: docker login ${host}`, 'unauthorized');
      }
      throw new RegistryError(`the token server of ${where} answered HTTP ${res.status}`, undefined, 'protocol');
    }
    let v: { token?: unknown; access_token?: unknown };
    try {
      v = (await res.json()) as typeof v;
    } catch {
      throw new RegistryError(`the token server of ${where} sent an answer that is not JSON`, undefined, 'protocol');
    }
    const token = typeof v.token === 'string' && v.token ? v.token : typeof v.access_token === 'string' ? v.access_token : '';
    if (!token) throw new RegistryError(`the token server of ${where} sent no token`, undefined, 'protocol');
    return token;
  }

  /** One HTTP exchange with timeout and bounded retries of 429/502/503/504. */
  private async send(method: string, url: string, auth: string | null, host: string, post?: { body: string; contentType: string }): Promise<Response> {
    const retries = this.opts.retries ?? 3;
    const timeoutMs = this.opts.timeoutMs ?? 10_000;
    const headers: Record<string, string> = { 'User-Agent': 'dockeropt (pin-digests)' };
    if (method !== 'POST' && url.includes('/manifests/')) headers.Accept = ACCEPT;
    if (auth) headers.Authorization = auth;
    if (post) headers['Content-Type'] = post.contentType;
    const shown = redactUrl(url);
    for (let attempt = 0; ; attempt++) {
      let res: Response;
      this.requestCount++;
      try {
        res = await this.fetchFn(url, { method, headers, redirect: 'follow', signal: AbortSignal.timeout(timeoutMs), ...(post ? { body: post.body } : {}) });
      } catch (e) {
        throw networkError(e, host, timeoutMs);
      }
      this.opts.log?.(`${method} ${shown} -> ${res.status}`);
      const retryable = res.status === 429 || res.status === 502 || res.status === 503 || res.status === 504;
      if (!retryable || attempt >= retries) return res;
      const after = retryAfterMs(res.headers.get('retry-after'));
      const max = this.opts.maxRetryAfterMs ?? 30_000;
      if (after !== null && after > max) return res;
      await res.arrayBuffer().catch(() => undefined);
      await sleep(after ?? Math.min(4000, 250 * 2 ** attempt));
    }
  }
}

function rejectSchema1(mediaType: string, name: string, where: string): void {
  if (/prettyjws|manifest\.v1\+json$/.test(mediaType) && !mediaType.startsWith('application/vnd.oci')) {
    throw new RegistryError(`${where} answered with a schema1 manifest for ${name}`, 'schema1 digests are not stable; the registry does not support the current manifest types', 'protocol');
  }
}

async function readLimited(res: Response, max: number, name: string): Promise<Buffer> {
  const len = Number(res.headers.get('content-length') ?? NaN);
  if (len > max) {
    await res.body?.cancel().catch(() => undefined);
    throw new RegistryError(`the manifest of ${name} is larger than ${max / 1048576} MB`, undefined, 'protocol');
  }
  const buf = Buffer.from(await res.arrayBuffer());
  if (buf.length > max) throw new RegistryError(`the manifest of ${name} is larger than ${max / 1048576} MB`, undefined, 'protocol');
  return buf;
}

/** A URL for logs: the query (token requests carry scope/service only, but be strict) and userinfo are dropped. */
function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}${u.search ? '?…' : ''}`;
  } catch {
    return '<url>';
  }
}

function networkError(e: unknown, host: string, timeoutMs: number): RegistryError {
  const err = e as { name?: string; cause?: { code?: string; name?: string } };
  if (err?.name === 'TimeoutError' || err?.name === 'AbortError' || err?.cause?.name === 'TimeoutError') {
    return new RegistryError(`timed out after ${timeoutMs / 1000} s talking to ${host}`, 'raise --registry-timeout, or check the network', 'timeout');
  }
  const code = err?.cause?.code ?? '';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return new RegistryError(`cannot resolve the registry host ${host} (DNS ${code})`, 'check the host name and your DNS', 'network');
  if (code === 'ECONNREFUSED') return new RegistryError(`connection to ${host} refused`, 'is the registry running on that host and port?', 'network');
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET' || code === 'EPIPE') return new RegistryError(`connection to ${host} was reset (${code})`, undefined, 'network');
  if (/CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY/i.test(code) || /ssl|tls|certificate/i.test(String((err?.cause as { message?: string })?.message ?? ''))) {
    return new RegistryError(`TLS error talking to ${host} (${code || 'handshake failed'})`, `if the registry speaks plain HTTP, name it with --insecure-registry ${host}`, 'tls');
  }
  const detail = code || (err?.cause as { message?: string } | undefined)?.message || '';
  return new RegistryError(`cannot reach ${host}${detail ? ` (${detail})` : ''}`, undefined, 'network');
}
