/**
 * Registry credentials the way the docker CLI stores them, read without the docker CLI:
 * `$DOCKER_CONFIG/config.json` (default `~/.docker/config.json`) with
 * - `credHelpers: { host: name }`: run `docker-credential-<name> get` for that host;
 * - `credsStore: name`: the same helper for every host;
 * - `auths: { host: { auth: base64(user:pass) | username+password | identitytoken } }`.
 * A helper is run without a shell, with the server URL on stdin; a helper name that is not a plain
 * word is refused (it would otherwise pick an arbitrary executable). Nothing here ever puts a secret
 * into an error message.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { RegistryError } from './errors.js';

export interface Credentials {
  username: string;
  /** A password, or (with `identityToken`) the OAuth2 refresh token. */
  secret: string;
  identityToken: boolean;
}

interface DockerConfig {
  auths?: Record<string, { auth?: string; username?: string; password?: string; identitytoken?: string }>;
  credsStore?: string;
  credHelpers?: Record<string, string>;
}

const HELPER_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
/** The key the docker CLI uses for Docker Hub in config.json and towards helpers. */
const HUB_KEY = 'https://index.docker.io/v1/';
const HUB_HOSTS = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io']);

/** `https://host:5000/v2/` -> `host:5000`; Docker Hub's spellings -> `docker.io`. */
function keyHost(key: string): string {
  let k = key.trim().replace(/^[a-z]+:\/\//i, '');
  const slash = k.indexOf('/');
  if (slash !== -1) k = k.slice(0, slash);
  k = k.toLowerCase();
  return HUB_HOSTS.has(k) ? 'docker.io' : k;
}

export class CredentialStore {
  private readonly cache = new Map<string, Promise<Credentials | null>>();
  private config: DockerConfig | null | undefined;

  constructor(
    private readonly opts: { configDir?: string | null; env?: NodeJS.ProcessEnv; helperTimeoutMs?: number } = {},
  ) {}

  private configPath(): string {
    const env = this.opts.env ?? process.env;
    const dir = this.opts.configDir ?? env.DOCKER_CONFIG ?? join(homedir(), '.docker');
    return join(dir, 'config.json');
  }

  private load(): DockerConfig | null {
    if (this.config !== undefined) return this.config;
    const path = this.configPath();
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch {
      return (this.config = null);
    }
    try {
      const v: unknown = JSON.parse(text);
      this.config = v && typeof v === 'object' ? (v as DockerConfig) : null;
    } catch {
      throw new RegistryError(`${path} is not valid JSON`, 'fix or remove the docker config file', 'config');
    }
    return this.config;
  }

  /** Credentials for a registry host (as dialled, with port), or null for anonymous access. */
  get(host: string): Promise<Credentials | null> {
    const h = keyHost(host);
    let p = this.cache.get(h);
    if (!p) {
      p = this.lookup(h);
      this.cache.set(h, p);
    }
    return p;
  }

  private async lookup(host: string): Promise<Credentials | null> {
    const cfg = this.load();
    if (!cfg) return null;
    const serverUrl = host === 'docker.io' ? HUB_KEY : host;
    const helper = Object.entries(cfg.credHelpers ?? {}).find(([k]) => keyHost(k) === host)?.[1];
    if (helper) return this.runHelper(helper, serverUrl, host);
    if (cfg.credsStore) {
      const c = await this.runHelper(cfg.credsStore, serverUrl, host);
      if (c) return c;
    }
    const entry = Object.entries(cfg.auths ?? {}).find(([k]) => keyHost(k) === host)?.[1];
    if (!entry) return null;
    let username = entry.username ?? '', password = entry.password ?? '';
    if (entry.auth) {
      const dec = Buffer.from(entry.auth, 'base64').toString('utf8');
      const i = dec.indexOf(':');
      if (i === -1) throw new RegistryError(`the auths entry for ${host} in ${this.configPath()} is malformed (auth is not base64 of user:password)`, `run docker login ${host} again`, 'config');
      username = dec.slice(0, i);
      password = dec.slice(i + 1);
    }
    if (entry.identitytoken) return { username, secret: entry.identitytoken, identityToken: true };
    if (!username && !password) return null;
    return { username, secret: password, identityToken: false };
  }

  private runHelper(name: string, serverUrl: string, host: string): Promise<Credentials | null> {
    if (!HELPER_NAME.test(name)) {
      return Promise.reject(new RegistryError(
        `the credential helper name ${JSON.stringify(name)} for ${host} is not a plain word; refusing to run it`,
        `fix credHelpers/credsStore in ${this.configPath()}`, 'config'));
    }
    const exe = `docker-credential-${name}`;
    return new Promise((resolve, reject) => {
      const env = this.opts.env ?? process.env;
      const child = spawn(exe, ['get'], { env, stdio: ['pipe', 'pipe', 'pipe'], shell: false });
      const out: Buffer[] = [];
      child.stdout.on('data', (b: Buffer) => out.push(b));
      child.stderr.resume();
      const timer = setTimeout(() => child.kill('SIGKILL'), this.opts.helperTimeoutMs ?? 10_000);
      child.on('error', (e: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        reject(new RegistryError(
          e.code === 'ENOENT' ? `credential helper ${exe} (configured for ${host}) is not on PATH` : `credential helper ${exe} could not be started (${e.code ?? 'error'})`,
          `install it or remove it from ${this.configPath()}`, 'config'));
      });
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        const text = Buffer.concat(out).toString('utf8');
        if (code !== 0) {
          // the helpers' protocol: "credentials not found in native keychain" means anonymous
          if (/credentials not found/i.test(text)) return resolve(null);
          return reject(new RegistryError(`credential helper ${exe} failed for ${host} (${signal ? `killed by ${signal}` : `exit ${code}`})`, `check it with: echo ${serverUrl} | ${exe} get`, 'config'));
        }
        try {
          const v = JSON.parse(text) as { Username?: string; Secret?: string };
          if (typeof v.Secret !== 'string') throw new Error('no Secret');
          const username = v.Username ?? '';
          resolve({ username, secret: v.Secret, identityToken: username === '<token>' });
        } catch {
          reject(new RegistryError(`credential helper ${exe} printed something that is not its JSON answer`, undefined, 'config'));
        }
      });
      child.stdin.on('error', () => { /* the helper may exit before reading */ });
      child.stdin.end(serverUrl);
    });
  }
}
