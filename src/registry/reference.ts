/**
 * Image references as Docker and BuildKit read them (the grammar of distribution's `reference` package,
 * written fresh): `[host[:port]/]path[:tag][@sha256:hex]`.
 *
 * - The first path component is a registry host when it contains `.` or `:`, is `localhost`, or is an
 *   IPv6 literal in brackets (`[::1]:5000/app`); otherwise the image is on Docker Hub.
 * - Docker Hub has three names (`docker.io`, `index.docker.io`, `registry-1.docker.io`): they all
 *   normalise to `docker.io`, and a one-component name gets `library/` (`node` = `docker.io/library/node`).
 * - Repository paths must be lower case; a tag is `[\w][\w.-]{0,127}`; only `sha256:` digests (64 lower-case
 *   hex digits) are accepted, because that is the only algorithm registries hand out.
 */

export const DOCKER_HUB = 'docker.io';
/** The host that actually serves Docker Hub's registry API. */
export const DOCKER_HUB_API_HOST = 'registry-1.docker.io';
const HUB_ALIASES = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io']);

export interface ImageRef {
  /** Normalised registry host (with port when given); `docker.io` for Docker Hub. */
  readonly registry: string;
  /** Repository path in the registry, e.g. `library/node`. */
  readonly repository: string;
  readonly tag: string | null;
  readonly digest: string | null;
}

export class ReferenceError extends Error {
  override name = 'ReferenceError';
}

const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
export const DIGEST = /^sha256:[a-f0-9]{64}$/;
const DOMAIN_LABEL = /^(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])$/;

/** Parses and normalises a reference; throws ReferenceError with a reason a user can act on. */
export function parseReference(input: string): ImageRef {
  if (input === '') throw new ReferenceError('empty image reference');
  if (/\s/.test(input)) throw new ReferenceError(`"${input}" contains white space`);
  let rest = input;
  let digest: string | null = null;
  const at = rest.indexOf('@');
  if (at !== -1) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) {
      throw new ReferenceError(`"${input}" has an invalid digest "${digest}" (expected sha256: and 64 lower-case hex digits)`);
    }
  }
  let registry = DOCKER_HUB;
  const slash = rest.indexOf('/');
  if (slash !== -1) {
    const first = rest.slice(0, slash);
    if (first.includes('.') || first.includes(':') || first === 'localhost' || first.startsWith('[')) {
      registry = normaliseHost(first, input);
      rest = rest.slice(slash + 1);
    }
  }
  let tag: string | null = null;
  const colon = rest.lastIndexOf(':');
  if (colon !== -1) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw new ReferenceError(`"${input}" has an invalid tag "${tag}"`);
  }
  if (rest === '') throw new ReferenceError(`"${input}" has no repository name`);
  const components = rest.split('/');
  for (const c of components) {
    if (PATH_COMPONENT.test(c)) continue;
    if (c.toLowerCase() !== c && PATH_COMPONENT.test(c.toLowerCase())) {
      throw new ReferenceError(`"${input}": repository names must be lower case ("${c}")`);
    }
    throw new ReferenceError(`"${input}" has an invalid repository name component "${c}"`);
  }
  let repository = rest;
  if (registry === DOCKER_HUB && components.length === 1) repository = `library/${rest}`;
  const nameLength = (registry === DOCKER_HUB ? 0 : registry.length + 1) + rest.length;
  if (nameLength > 255) throw new ReferenceError(`"${input}": the repository name is longer than 255 characters`);
  return { registry, repository, tag, digest };
}

function normaliseHost(host: string, input: string): string {
  let name: string, port: string | null = null;
  if (host.startsWith('[')) {
    const close = host.indexOf(']');
    if (close === -1) throw new ReferenceError(`"${input}": unterminated IPv6 address in "${host}"`);
    name = host.slice(0, close + 1);
    const after = host.slice(close + 1);
    if (after !== '') {
      if (!after.startsWith(':')) throw new ReferenceError(`"${input}": invalid registry host "${host}"`);
      port = after.slice(1);
    }
    if (!/^\[[0-9a-fA-F:.]+\]$/.test(name) || !name.includes(':')) throw new ReferenceError(`"${input}": invalid IPv6 address "${name}"`);
    name = name.toLowerCase();
  } else {
    const c = host.indexOf(':');
    name = c === -1 ? host : host.slice(0, c);
    port = c === -1 ? null : host.slice(c + 1);
    if (!name.split('.').every((l) => DOMAIN_LABEL.test(l))) throw new ReferenceError(`"${input}": invalid registry host "${host}"`);
    name = name.toLowerCase();
  }
  if (port !== null && (!/^\d{1,5}$/.test(port) || Number(port) > 65535 || Number(port) === 0)) {
    throw new ReferenceError(`"${input}": invalid port "${port}" in registry host "${host}"`);
  }
  const full = port === null ? name : `${name}:${port}`;
  return HUB_ALIASES.has(full) ? DOCKER_HUB : full;
}

/** The fully qualified form: `docker.io/library/node:20`, `localhost:5000/app@sha256:…`. */
export function canonical(ref: ImageRef): string {
  return `${ref.registry}/${ref.repository}${ref.tag !== null ? `:${ref.tag}` : ''}${ref.digest !== null ? `@${ref.digest}` : ''}`;
}

/** The short form people write: `node:20`, `myorg/app:1.0`, `ghcr.io/a/b:1`. */
export function familiar(ref: ImageRef): string {
  let name = ref.registry === DOCKER_HUB ? ref.repository.replace(/^library\/(?=[^/]+$)/, '') : `${ref.registry}/${ref.repository}`;
  if (ref.tag !== null) name += `:${ref.tag}`;
  if (ref.digest !== null) name += `@${ref.digest}`;
  return name;
}

/** Is a host (optionally with a port) a loopback address, where plain HTTP is acceptable? */
export function isLoopbackHost(hostWithPort: string): boolean {
  let h = hostWithPort;
  if (h.startsWith('[')) h = h.slice(1, h.indexOf(']'));
  else if (h.includes(':')) h = h.slice(0, h.lastIndexOf(':'));
  h = h.toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/** The host without its port (`[::1]:5000` -> `::1`, `a.b:443` -> `a.b`). */
export function hostName(hostWithPort: string): string {
  if (hostWithPort.startsWith('[')) return hostWithPort.slice(1, hostWithPort.indexOf(']'));
  const c = hostWithPort.lastIndexOf(':');
  return c === -1 ? hostWithPort : hostWithPort.slice(0, c);
}
