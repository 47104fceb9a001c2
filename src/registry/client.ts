/**
 * A small OCI distribution client: resolves a tag to the digest `docker pull` would use, and reads
 * manifests, over node:http/node:https (src/registry/http.ts; Node's fetch refuses ports such as 5061
 * that a registry may use). What it does, and why:
 * - `HEAD /v2/<name>/manifests/<tag>` with an Accept header listing the OCI index, Docker manifest list,
 *   OCI manifest and Docker v2 manifest types. With fewer types a registry may answer with a converted
 *   manifest (distribution 2.8 turns a manifest list into the amd64 child or a schema1 document), so a
 *   multi-arch tag would silently pin to one platform. A schema1 (`prettyjws`) answer is rejected.
 * - `Docker-Content-Digest` of the HEAD answer is the digest. A HEAD answer has no body, so that header
 *   cannot be checked against anything: it is taken as the registry's word (HEAD is also what keeps
 *   Docker Hub's pull rate limit untouched), and BuildKit verifies the content against the digest when
 *   it pulls, so a wrong header makes the build fail loudly, it cannot slip in other bytes.
 *   `verifyDigests: true` uses GET instead. Whenever a manifest is read with GET (no digest header, a
 *   platform manifest, `manifest()`, `verifyDigests`), its digest is the sha256 of the exact body bytes;
 *   a `Docker-Content-Digest` that disagrees, or a body fetched by digest that hashes to another digest,
 *   is an error.
 * - Auth: anonymous first; on 401 the `WWW-Authenticate` challenge says Basic or Bearer. Bearer gets one
 *   token per repository scope (cached, and the challenge is remembered per host so later repositories
 *   skip the anonymous round trip). Credentials come from the docker config (see credentials.ts) and
 *   are only sent over HTTPS or to loopback / --insecure-registry hosts.
 * - Plain HTTP only for loopback hosts and hosts named by --insecure-registry.
 * - Redirects are followed by hand (at most 5): only to https, to loopback, or to an --insecure-registry
 *   host, and the Authorization header only goes to the host that was asked (the one that challenged);
 *   a redirect target that then asks for credentials is an error, never a new login.
 * - Every request has a timeout covering the connection, the headers and the whole body, so a response
 *   that never ends fails after `timeoutMs`; a timed-out request is not retried, which bounds a lookup by
 *   (requests in it) x timeoutMs.
 * - 429 and 500/502/503/504, and a connection reset before the answer was complete, are retried a bounded
 *   number of times (`retries`, default 3) with exponential backoff (`retryDelayMs` x 2^n, capped at 4 s),
 *   honouring Retry-After; DNS, connection, TLS and reset errors name the host.
 * - `resolve` and `manifest` deduplicate: one lookup per (reference, platform) per client, whether it is in
 *   flight or done, and at most `jobs` lookups run at once.
 */
import { createHash } from 'node:crypto';
import { CredentialStore, type Credentials } from './credentials.js';
import { RegistryError } from './errors.js';
import { nodeFetch } from './http.js';
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

/** A manifest or index as JSON (only the fields this client reads are typed). */
export interface ManifestDoc {
  schemaVersion?: number;
  mediaType?: string;
  config?: { mediaType?: string; digest?: string; size?: number };
  layers?: { mediaType?: string; digest?: string; size?: number }[];
  manifests?: { digest?: string; mediaType?: string; size?: number; platform?: { os?: string; architecture?: string; variant?: string } }[];
  [key: string]: unknown;
}

export interface ManifestResult {
  /** sha256 of `bytes`, checked against the digest it was asked for or the registry's header. */
  digest: string;
  mediaType: string;
  kind: 'index' | 'manifest';
  manifest: ManifestDoc;
  /** The exact bytes the digest was computed over. */
  bytes: Buffer;
  /** Set when a platform manifest was picked out of an index. */
  platform?: string;
  /** The index it was picked from, when it was. */
  index?: { digest: string; mediaType: string };
}

export interface RegistryClientOptions {
  /** Per request, in milliseconds: connecting, the headers and the whole body (default 10 s, at most 600 s). */
  timeoutMs?: number;
  /** Lookups running at once (default 8). */
  jobs?: number;
  /** Hosts (with port when dialled with one) that may be spoken to over plain HTTP. */
  insecureRegistries?: readonly string[];
  /** Dial another host for a registry, e.g. `{ "docker.io": "127.0.0.1:5000" }` (tests, mirrors). */
  registryMap?: Readonly<Record<string, string>>;
  /** Directory holding config.json (default $DOCKER_CONFIG or ~/.docker). */
  dockerConfigDir?: string | null;
  /** Retries of 429/500/502/503/504 and of resets (default 3, at most 10); a Retry-After longer than maxRetryAfterMs fails at once. */
  retries?: number;
  maxRetryAfterMs?: number;
  /** First backoff between retries in milliseconds, doubled each time and capped at 4 s (default 250). */
  retryDelayMs?: number;
  /** Resolve with GET and check the digest against the body, instead of trusting a HEAD answer's header. */
  verifyDigests?: boolean;
  env?: NodeJS.ProcessEnv;
  /** Request log (method, URL, status); never receives credentials or tokens. */
  log?: (line: string) => void;
  /** The transport (default: nodeFetch, over node:http/https, any port). */
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

/** A complete HTTP exchange: the body is read inside the request's timeout. */
interface Answer {
  status: number;
  ok: boolean;
  headers: Headers;
  body: Buffer;
  /** The URL that answered (after redirects). */
  url: string;
  /** Set when a redirect took the request to another host than the one asked. */
  redirectedTo: string | null;
  /** Tries it took (retries of 429/5xx included). */
  attempts: number;
}

const RETRY_STATUS = new Set([429, 500, 502, 503, 504]);
const REDIRECT_STATUS = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 5;
const MAX_TIMEOUT_MS = 600_000;
const MAX_TOKEN_BYTES = 1024 * 1024;
/** Error bodies are not used: read a little so the connection can be reused. */
const MAX_ERROR_BYTES = 64 * 1024;

export class RegistryClient {
  readonly credentials: CredentialStore;
  private readonly resolved = new Map<string, Promise<Resolution>>();
  private readonly manifests = new Map<string, Promise<ManifestResult>>();
  private readonly tokens = new Map<string, Promise<string>>();
  private readonly challenges = new Map<string, Challenge>();
  private readonly insecure: Set<string>;
  private readonly fetchFn: typeof fetch;
  private readonly timeoutMs: number;
  private readonly retries: number;
  private running = 0;
  private readonly waiting: (() => void)[] = [];
  /** Requests sent to registries and token servers, every retry and redirect hop included (for --debug and tests). */
  requestCount = 0;

  constructor(private readonly opts: RegistryClientOptions = {}) {
    this.credentials = new CredentialStore({ configDir: opts.dockerConfigDir ?? null, ...(opts.env ? { env: opts.env } : {}) });
    this.insecure = new Set((opts.insecureRegistries ?? []).map((h) => h.toLowerCase()));
    this.fetchFn = opts.fetch ?? nodeFetch;
    const t = opts.timeoutMs ?? 10_000;
    if (!(t > 0 && t <= MAX_TIMEOUT_MS)) throw new RegistryError(`the registry timeout must be more than 0 and at most ${MAX_TIMEOUT_MS / 1000} s (got ${t / 1000} s)`, undefined, 'config');
    this.timeoutMs = t;
    const r = opts.retries ?? 3;
    if (!(Number.isInteger(r) && r >= 0 && r <= 10)) throw new RegistryError(`registry retries must be an integer from 0 to 10 (got ${r})`, undefined, 'config');
    this.retries = r;
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

  /**
   * Reads a manifest with GET and checks its bytes: by digest when the reference has one (the body must
   * hash to it), else by tag (latest when there is none; a Docker-Content-Digest header must match the
   * body). With `platform`, an index is followed to that platform's manifest (read by digest, checked).
   * Without it an index is returned as the index. A single manifest is returned as it is either way.
   */
  manifest(ref: ImageRef, opts: { platform?: Platform | null } = {}): Promise<ManifestResult> {
    const platform = opts.platform ?? null;
    const reference = ref.digest ?? ref.tag ?? 'latest';
    const key = `${ref.registry}/${ref.repository}|${reference}|${platform ? formatPlatform(platform) : ''}`;
    let p = this.manifests.get(key);
    if (!p) {
      p = this.limited(async () => {
        const t = this.target(ref);
        const top = await this.getManifest(t, ref, reference);
        if (!platform || top.kind === 'manifest') return top;
        const child = pickPlatform(top.manifest, platform, t.name);
        const m = await this.getManifest(t, ref, child.digest);
        return { ...m, platform: formatPlatform(platform), index: { digest: top.digest, mediaType: top.mediaType } };
      });
      this.manifests.set(key, p);
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

  /** Where a reference's requests go, and how messages name it. */
  private target(ref: ImageRef): Target {
    const host = this.dialHost(ref.registry);
    const base = `${this.scheme(host, ref.registry)}://${host}`;
    const name = familiar({ ...ref, digest: null });
    const where = host === ref.registry || (ref.registry === DOCKER_HUB && host === DOCKER_HUB_API_HOST) ? ref.registry : `${ref.registry} (via ${host})`;
    return { host, base, name, where };
  }

  private async lookup(ref: ImageRef, platform: Platform | null): Promise<Resolution> {
    const t = this.target(ref);
    if (!platform && !this.opts.verifyDigests) {
      const res = await this.authed('HEAD', `${t.base}/v2/${ref.repository}/manifests/${ref.tag}`, ref, t);
      this.check(res, t);
      const headerDigest = res.headers.get('docker-content-digest');
      const mediaType = (res.headers.get('content-type') ?? '').split(';')[0]!.trim();
      rejectSchema1(mediaType, t.name, t.where);
      if (headerDigest !== null && DIGEST.test(headerDigest) && mediaType !== '') {
        return { digest: headerDigest, mediaType, kind: INDEX_TYPES.has(mediaType) ? 'index' : 'manifest' };
      }
      if (headerDigest !== null && !DIGEST.test(headerDigest)) {
        throw new RegistryError(`${t.where} sent an invalid Docker-Content-Digest for ${t.name}`, 'the registry or a proxy in between is altering answers; check it, or pin this image by hand', 'protocol');
      }
    }
    // no usable digest header, a platform manifest is wanted, or verifyDigests: read the manifest and hash its bytes
    const top = await this.getManifest(t, ref, ref.tag!);
    if (!platform || top.kind === 'manifest') return { digest: top.digest, mediaType: top.mediaType, kind: top.kind };
    const child = pickPlatform(top.manifest, platform, t.name);
    return { digest: child.digest, mediaType: child.mediaType ?? '', kind: 'index', platform: formatPlatform(platform) };
  }

  /** GET a manifest by tag or digest; its digest is the sha256 of the body, checked as the module comment says. */
  private async getManifest(t: Target, ref: ImageRef, reference: string): Promise<ManifestResult> {
    const res = await this.authed('GET', `${t.base}/v2/${ref.repository}/manifests/${reference}`, ref, t, MAX_MANIFEST_BYTES);
    this.check(res, t);
    let mediaType = (res.headers.get('content-type') ?? '').split(';')[0]!.trim();
    rejectSchema1(mediaType, t.name, t.where);
    const body = res.body;
    const digest = `sha256:${createHash('sha256').update(body).digest('hex')}`;
    const tampered = 'the registry or a proxy in between is altering manifests; check it (or its cache), or pin this image by hand';
    if (DIGEST.test(reference) && reference !== digest) {
      throw new RegistryError(`${t.where} sent a manifest for ${t.name}@${reference.slice(0, 19)}… whose bytes hash to ${digest.slice(0, 19)}…`, tampered, 'protocol');
    }
    const claimed = res.headers.get('docker-content-digest');
    if (claimed !== null && claimed.trim() !== digest) {
      throw new RegistryError(`${t.where} sent a Docker-Content-Digest for ${t.name} that does not match the manifest bytes`, tampered, 'protocol');
    }
    let doc: ManifestDoc;
    try {
      const v: unknown = JSON.parse(body.toString('utf8'));
      if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Error('not an object');
      doc = v as ManifestDoc;
    } catch {
      throw new RegistryError(`${t.where} sent a manifest for ${t.name} that is not a JSON object`, undefined, 'protocol');
    }
    if (doc.schemaVersion === 1) throw new RegistryError(`${t.where} only offers a schema1 manifest for ${t.name}`, 'schema1 digests are not stable; push the image again with a current client', 'protocol');
    if (!mediaType) mediaType = doc.mediaType ?? (Array.isArray(doc.manifests) ? MEDIA.ociIndex : MEDIA.ociManifest);
    const kind = INDEX_TYPES.has(mediaType) || Array.isArray(doc.manifests) ? 'index' : 'manifest';
    return { digest, mediaType, kind, manifest: doc, bytes: body };
  }

  private check(res: Answer, t: Target): void {
    const { name, where, host } = t;
    if (res.ok) return;
    if (res.status === 404) {
      throw new RegistryError(`${name} was not found on ${where} (HTTP 404: unknown repository or tag)`, 'check the image name and tag', 'not-found');
    }
    if (res.status === 401 && res.redirectedTo !== null) {
      throw new RegistryError(`${where} redirected the request for ${name} to ${res.redirectedTo}, which asks for credentials (HTTP 401)`,
        `dockeropt sends credentials only to the host that asked for them; have ${host} serve manifests itself, or dial ${res.redirectedTo} directly with --registry-map`, 'unauthorized');
    }
    if (res.status === 401 || res.status === 403) {
      throw new RegistryError(`${where} refused access to ${name} (HTTP ${res.status})`, `log in with: docker login ${host === DOCKER_HUB_API_HOST ? '' : host}`.trimEnd() + ' (dockeropt reads ~/.docker/config.json and its credential helpers)', 'unauthorized');
    }
    if (res.status === 429) throw new RegistryError(`${where} is rate limiting requests (HTTP 429) for ${name}`, 'try again later, or log in for a higher limit', 'rate-limited');
    if (res.status >= 500) {
      throw new RegistryError(`${where} answered HTTP ${res.status} for ${name}${res.attempts > 1 ? ` (${res.attempts} tries)` : ''}`,
        `the registry at ${host} is failing; try again later`, 'protocol');
    }
    throw new RegistryError(`${where} answered HTTP ${res.status} for ${name}`, undefined, 'protocol');
  }

  /** A request with auth: a known challenge is answered up front; otherwise anonymous, then the challenge. */
  private async authed(method: 'HEAD' | 'GET', url: string, ref: ImageRef, t: Target, maxBytes = MAX_ERROR_BYTES): Promise<Answer> {
    const { host, where } = t;
    const known = this.challenges.get(host);
    let auth = known ? await this.authorization(known, ref, host, where) : null;
    let res = await this.send(method, url, auth, host, { maxBytes });
    // a 401 from a host we were redirected to is not ours to answer (see check)
    if (res.status !== 401 || res.redirectedTo !== null) return res;
    const header = res.headers.get('www-authenticate');
    const challenge = header ? parseChallenge(header) : null;
    if (!challenge) return res;
    const before = auth;
    this.challenges.set(host, challenge);
    auth = await this.authorization(challenge, ref, host, where);
    // the cached token was refused (it expired during a long run): ask for a fresh one, once
    if (auth !== null && auth === before && challenge.scheme === 'bearer') auth = await this.authorization(challenge, ref, host, where, true);
    if (auth === null || auth === before) return res;
    res = await this.send(method, url, auth, host, { maxBytes });
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
    let res: Answer;
    if (creds?.identityToken) {
      const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: creds.secret, service, scope, client_id: 'dockeropt' });
      res = await this.send('POST', url.href, null, url.host, { maxBytes: MAX_TOKEN_BYTES, post: { body: form.toString(), contentType: 'application/x-www-form-urlencoded' } });
    } else {
      if (service) url.searchParams.set('service', service);
      url.searchParams.set('scope', scope);
      const auth = creds ? `Basic ${Buffer.from(`${creds.username}:${creds.secret}`).toString('base64')}` : null;
      res = await this.send('GET', url.href, auth, url.host, { maxBytes: MAX_TOKEN_BYTES });
    }
    if (!res.ok) {
      if (res.status === 401 || res.status === 403) {
        throw new RegistryError(`the token server of ${where} rejected the ${creds ? 'stored credentials' : 'anonymous request'} (HTTP ${res.status})`, `log in again with: docker login ${host}`, 'unauthorized');
      }
      throw new RegistryError(`the token server of ${where} answered HTTP ${res.status}`, res.status >= 500 ? `the token server at ${url.host} is failing; try again later` : undefined, 'protocol');
    }
    let v: { token?: unknown; access_token?: unknown };
    try {
      v = JSON.parse(res.body.toString('utf8')) as typeof v;
    } catch {
      throw new RegistryError(`the token server of ${where} sent an answer that is not JSON`, undefined, 'protocol');
    }
    const token = typeof v?.token === 'string' && v.token ? v.token : typeof v?.access_token === 'string' ? v.access_token : '';
    if (!token) throw new RegistryError(`the token server of ${where} sent no token`, undefined, 'protocol');
    return token;
  }

  /**
   * One HTTP exchange: redirects followed by hand (see the module comment), the body read within the
   * timeout, and bounded retries of 429/5xx answers and of resets. `host` is the host `auth` belongs to.
   */
  private async send(method: string, url: string, auth: string | null, host: string, o: { maxBytes: number; post?: { body: string; contentType: string } }): Promise<Answer> {
    const max = this.opts.maxRetryAfterMs ?? 30_000;
    const base = this.opts.retryDelayMs ?? 250;
    for (let attempt = 0; ; attempt++) {
      let res: Answer;
      try {
        res = await this.follow(method, url, auth, host, o);
      } catch (e) {
        if (e instanceof RegistryError) throw e;
        const { error, retryable } = networkError(e, host, this.timeoutMs);
        if (!retryable) throw error;
        if (attempt >= this.retries) throw withAttempts(error, attempt);
        await sleep(Math.min(4000, base * 2 ** attempt));
        continue;
      }
      res.attempts = attempt + 1;
      if (!RETRY_STATUS.has(res.status) || attempt >= this.retries) return res;
      const after = retryAfterMs(res.headers.get('retry-after'));
      if (after !== null && after > max) return res;
      await sleep(after ?? Math.min(4000, base * 2 ** attempt));
    }
  }

  /** One attempt: the request and its redirects, each hop with its own timeout. */
  private async follow(method: string, url: string, auth: string | null, host: string, o: { maxBytes: number; post?: { body: string; contentType: string } }): Promise<Answer> {
    let current = new URL(url);
    const origin = current.host.toLowerCase();
    for (let hop = 0; ; hop++) {
      const sameHost = current.host.toLowerCase() === origin;
      const headers: Record<string, string> = { 'User-Agent': 'dockeropt (pin-digests)' };
      if (method !== 'POST' && current.pathname.includes('/manifests/')) headers.Accept = ACCEPT;
      // the Authorization header belongs to the host that challenged: never sent to another one
      if (auth && sameHost) headers.Authorization = auth;
      if (o.post) headers['Content-Type'] = o.post.contentType;
      this.requestCount++;
      const signal = AbortSignal.timeout(this.timeoutMs);
      const res = await this.fetchFn(current.href, { method, headers, redirect: 'manual', signal, ...(o.post ? { body: o.post.body } : {}) });
      this.opts.log?.(`${method} ${redactUrl(current.href)} -> ${res.status}`);
      if (REDIRECT_STATUS.has(res.status) && res.headers.get('location')) {
        await res.body?.cancel().catch(() => undefined);
        const next = this.redirectTarget(current, res.headers.get('location')!, host, hop);
        if (res.status === 303 && method === 'POST') throw new RegistryError(`the token server at ${current.host} redirected a token request with 303`, undefined, 'protocol');
        current = next;
        continue;
      }
      const limit = res.ok ? o.maxBytes : MAX_ERROR_BYTES;
      const body = method === 'HEAD' ? Buffer.alloc(0) : await readLimited(res, limit, current.host, res.ok);
      const to = current.host.toLowerCase();
      return { status: res.status, ok: res.ok, headers: res.headers, body, url: current.href, redirectedTo: to === origin ? null : current.host, attempts: 1 };
    }
  }

  /** Checks a redirect: at most MAX_REDIRECTS hops, only to https, loopback or --insecure-registry hosts. */
  private redirectTarget(from: URL, location: string, host: string, hop: number): URL {
    if (hop + 1 > MAX_REDIRECTS) throw new RegistryError(`${host} redirected more than ${MAX_REDIRECTS} times`, `check the registry's (or its proxy's) redirect configuration at ${from.host}`, 'protocol');
    let to: URL;
    try {
      to = new URL(location, from);
    } catch {
      throw new RegistryError(`${from.host} sent a redirect to an invalid URL`, undefined, 'protocol');
    }
    if (to.protocol === 'https:') return to;
    const h = to.host.toLowerCase();
    if (to.protocol === 'http:' && (isLoopbackHost(h) || this.insecure.has(h))) return to;
    throw new RegistryError(`refusing to follow a redirect from ${from.host} to ${to.protocol === 'http:' ? `plain HTTP at ${h}` : `a ${to.protocol.replace(/:$/, '')} URL`}`,
      to.protocol === 'http:' ? `redirects are followed only to https or loopback hosts; if ${h} is trusted, name it with --insecure-registry ${h}` : 'redirects are followed only to https or loopback hosts', 'protocol');
  }
}

interface Target {
  /** The host dialled (with port). */
  host: string;
  /** scheme://host */
  base: string;
  /** The image as people write it, without a digest. */
  name: string;
  /** The registry, with the dialled host when it differs: `docker.io (via 127.0.0.1:5000)`. */
  where: string;
}

/** The platform's entry of an index, or a not-found error listing what the index has. */
function pickPlatform(doc: ManifestDoc, platform: Platform, name: string): { digest: string; mediaType?: string } {
  const child = (doc.manifests ?? []).find((m) => platformMatches(platform, m.platform));
  if (!child || typeof child.digest !== 'string' || !DIGEST.test(child.digest)) {
    const have = (doc.manifests ?? []).map((m) => (m.platform ? formatPlatform({ os: m.platform.os ?? '?', architecture: m.platform.architecture ?? '?', variant: m.platform.variant ?? null }) : '?')).filter((p) => !p.startsWith('unknown/'));
    throw new RegistryError(`${name} has no ${formatPlatform(platform)} image (it has ${have.join(', ') || 'none'})`, 'choose another --platform, or leave it out to pin the multi-platform index', 'not-found');
  }
  return { digest: child.digest, ...(child.mediaType ? { mediaType: child.mediaType } : {}) };
}

function rejectSchema1(mediaType: string, name: string, where: string): void {
  if (/prettyjws|manifest\.v1\+json$/.test(mediaType) && !mediaType.startsWith('application/vnd.oci')) {
    throw new RegistryError(`${where} answered with a schema1 manifest for ${name}`, 'schema1 digests are not stable; the registry does not support the current manifest types', 'protocol');
  }
}

/** Reads a body up to `max` bytes (an error answer's body is cut there, a manifest's is an error). */
async function readLimited(res: Response, max: number, host: string, strict: boolean): Promise<Buffer> {
  const tooLarge = () => new RegistryError(`${host} sent an answer larger than ${max >= 1048576 ? `${max / 1048576} MB` : `${max / 1024} KB`}`, 'a manifest is a small JSON document; check the registry, or a proxy in between', 'protocol');
  const len = Number(res.headers.get('content-length') ?? NaN);
  if (strict && len > max) {
    await res.body?.cancel().catch(() => undefined);
    throw tooLarge();
  }
  if (!res.body) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  let n = 0;
  const reader = res.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    n += value.byteLength;
    if (n > max) {
      await reader.cancel().catch(() => undefined);
      if (strict) throw tooLarge();
      break;
    }
    chunks.push(Buffer.from(value.buffer, value.byteOffset, value.byteLength));
  }
  return Buffer.concat(chunks);
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

/** A reset error after all its retries: the message says how many tries it took. */
function withAttempts(err: RegistryError, retries: number): RegistryError {
  return retries === 0 ? err : new RegistryError(`${err.message} (${retries + 1} tries)`, err.hint, err.kind);
}

const RESET_CODES = new Set(['ECONNRESET', 'UND_ERR_SOCKET', 'EPIPE', 'UND_ERR_CLOSED']);

/** A fetch or body-read failure as a RegistryError naming the host; only resets may be retried. */
function networkError(e: unknown, host: string, timeoutMs: number): { error: RegistryError; retryable: boolean } {
  const err = e as { name?: string; message?: string; cause?: { code?: string } };
  const code = err?.cause?.code ?? '';
  const reset = RESET_CODES.has(code) || (err?.name === 'TypeError' && err?.message === 'terminated');
  return { error: networkErrorOf(e, host, timeoutMs), retryable: reset && !isTimeout(e) };
}

function isTimeout(e: unknown): boolean {
  const err = e as { name?: string; cause?: { name?: string } };
  return err?.name === 'TimeoutError' || err?.name === 'AbortError' || err?.cause?.name === 'TimeoutError';
}

function networkErrorOf(e: unknown, host: string, timeoutMs: number): RegistryError {
  const err = e as { name?: string; message?: string; cause?: { code?: string; name?: string; message?: string } };
  if (isTimeout(e)) {
    return new RegistryError(`timed out after ${timeoutMs / 1000} s talking to ${host} (no complete answer)`, 'check the network and the registry; raise --registry-timeout if it is just slow', 'timeout');
  }
  const code = err?.cause?.code ?? '';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return new RegistryError(`cannot resolve the registry host ${host} (DNS ${code})`, 'check the host name and your DNS', 'network');
  if (code === 'ECONNREFUSED') return new RegistryError(`connection to ${host} refused`, 'is the registry running on that host and port?', 'network');
  if (RESET_CODES.has(code) || (err?.name === 'TypeError' && err?.message === 'terminated')) {
    return new RegistryError(`connection to ${host} was reset before the answer was complete (${code || 'terminated'})`,
      `the registry or a proxy between dockeropt and ${host} dropped the connection; try again, and check that proxy if it keeps happening`, 'network');
  }
  if (/CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY/i.test(code) || /ssl|tls|certificate/i.test(String(err?.cause?.message ?? ''))) {
    return new RegistryError(`TLS error talking to ${host} (${code || 'handshake failed'})`, `if the registry speaks plain HTTP, name it with --insecure-registry ${host}`, 'tls');
  }
  const detail = code || err?.cause?.message || '';
  return new RegistryError(`cannot reach ${host}${detail ? ` (${detail})` : ''}`, 'check the network, and that the registry host and port are right', 'network');
}
