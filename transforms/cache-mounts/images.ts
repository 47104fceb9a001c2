/**
 * Base-image facts for the cache-mounts transform: what base images set that the Dockerfile does not show
 * (default user, named users, environment).
 *
 * Sources (see docs/cache-mounts.md for the per-ecosystem mount table and the reasoning):
 * - node images: root by default; they create user `node` with uid/gid 1000 and home /home/node.
 * - golang images: `ENV GOPATH /go`. rust images: `ENV CARGO_HOME=/usr/local/cargo`.
 * - ruby images: `ENV GEM_HOME /usr/local/bundle`. composer image: `ENV COMPOSER_HOME /tmp`.
 * - gradle images: root by default; user `gradle` uid/gid 1000, home /home/gradle.
 * - distroless `:nonroot` / `:debug-nonroot` and Chainguard images: user nonroot, uid/gid 65532, home /home/nonroot.
 * Every other image is assumed to run as root with no relevant environment; that assumption is documented.
 */

export interface KnownUser {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

export interface BaseImageFacts {
  /** The user the image runs as when the Dockerfile sets none (root when absent). */
  defaultUser?: KnownUser;
  /** Users the image defines, by name. */
  users?: KnownUser[];
  /** Environment the image sets that changes a cache location. */
  env?: Record<string, string>;
}

const NODE_USER: KnownUser = { name: 'node', uid: 1000, gid: 1000, home: '/home/node' };
const GRADLE_USER: KnownUser = { name: 'gradle', uid: 1000, gid: 1000, home: '/home/gradle' };
const NONROOT: KnownUser = { name: 'nonroot', uid: 65532, gid: 65532, home: '/home/nonroot' };

/** Repository (without registry `docker.io/library/`, tag or digest) → facts; the tag decides nonroot variants. */
export function baseImageFacts(image: string | null): BaseImageFacts {
  if (image === null) return {};
  const { repo, tag } = splitImage(image);
  const last = repo.split('/').pop() ?? repo;
  const facts: BaseImageFacts = {};
  if (repo === 'node' || repo === 'library/node') facts.users = [NODE_USER];
  if (repo === 'golang' || repo === 'library/golang') facts.env = { GOPATH: '/go' };
  if (repo === 'rust' || repo === 'library/rust') facts.env = { CARGO_HOME: '/usr/local/cargo', RUSTUP_HOME: '/usr/local/rustup' };
  if (repo === 'ruby' || repo === 'library/ruby') facts.env = { GEM_HOME: '/usr/local/bundle' };
  if (repo === 'composer' || repo === 'library/composer') facts.env = { COMPOSER_HOME: '/tmp' };
  if (repo === 'gradle' || repo === 'library/gradle') facts.users = [GRADLE_USER];
  if ((repo.startsWith('gcr.io/distroless/') && /(^|-)nonroot$/.test(tag ?? '')) || repo.startsWith('cgr.dev/chainguard/')) {
    if (!(repo.startsWith('cgr.dev/') && /(^|-)dev$/.test(tag ?? ''))) facts.defaultUser = NONROOT;
    facts.users = [NONROOT];
  }
  void last;
  return facts;
}

function splitImage(image: string): { repo: string; tag: string | null } {
  let ref = image.split('@')[0]!;
  let tag: string | null = null;
  const colon = ref.lastIndexOf(':');
  if (colon > ref.lastIndexOf('/')) { tag = ref.slice(colon + 1); ref = ref.slice(0, colon); }
  ref = ref.replace(/^(docker\.io|index\.docker\.io|registry-1\.docker\.io)\//, '');
  return { repo: ref.toLowerCase(), tag };
}
