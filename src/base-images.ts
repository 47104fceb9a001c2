/**
 * What dockeropt knows about base images, as data: the image family, the user it runs as by default
 * (name and uid), users it ships that a Dockerfile can switch to, whether its entrypoint needs to start
 * as root, the privileged ports it listens on by itself, and which toolchain it is (for runner-stage).
 * Used by non-root (does the final stage already run as non-root? can it?) and runner-stage (which slim
 * runtime image matches a toolchain image).
 *
 * One row per image family; each row's `source` names the published Dockerfile, entrypoint or
 * documentation its facts come from (docker-library, GoogleContainerTools distroless, Chainguard,
 * Bitnami, …). An image that is not in the table is unknown: transforms refuse rather than guess.
 */

/** An image reference as written after FROM, split into parts. */
export interface ImageRef {
  /** Registry host, or '' for Docker Hub (docker.io, index.docker.io and registry-1.docker.io are all ''). */
  registry: string;
  /** Repository path without the Docker Hub `library/` prefix: `node`, `bitnami/redis`, `distroless/static`. */
  repo: string;
  /** Tag, or '' when none is written (Docker uses `latest`). */
  tag: string;
  digest: string;
  /** `registry/repo` as the table matches it: `node`, `gcr.io/distroless/static`. */
  name: string;
}

const DOCKER_HUB = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io']);

/** Splits an image reference; null when it is not a plain reference (it uses a build argument, `$X`). */
export function parseImageRef(ref: string): ImageRef | null {
  if (ref === '' || ref.includes('$')) return null;
  let rest = ref;
  let digest = '';
  const at = rest.indexOf('@');
  if (at !== -1) { digest = rest.slice(at + 1); rest = rest.slice(0, at); }
  let tag = '';
  const slash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > slash) { tag = rest.slice(colon + 1); rest = rest.slice(0, colon); }
  let registry = '';
  const first = rest.split('/')[0]!;
  if (rest.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost')) {
    registry = first.toLowerCase();
    rest = rest.slice(first.length + 1);
  }
  if (DOCKER_HUB.has(registry)) registry = '';
  let repo = rest.toLowerCase();
  if (registry === '' && repo.startsWith('library/')) repo = repo.slice('library/'.length);
  return { registry, repo, tag, digest, name: registry ? `${registry}/${repo}` : repo };
}

export type Toolchain = 'go' | 'node' | 'python' | 'java' | 'rust';

export interface BaseImageEntry {
  /** Short family name for reports and docs. */
  family: string;
  /** Image names (`registry/repo` as in ImageRef.name); a trailing `/*` matches everything below. */
  names: readonly string[];
  /** Only tags matching this (tags are data, not shell text). */
  tag?: RegExp;
  /** The user the image runs as when the Dockerfile sets none. */
  defaultUser: string;
  uid: number;
  /** Other users the image ships (name -> uid) that a Dockerfile can switch to with USER. */
  users?: Readonly<Record<string, number>>;
  /** Why the image's own entrypoint has to start as root (it drops privileges itself). */
  entrypointNeedsRoot?: string;
  /** Privileged ports (< 1024) the image listens on by itself, with no EXPOSE in the Dockerfile. */
  listens?: readonly number[];
  /** An image of the same software that runs as non-root, to suggest in a refusal. */
  nonRootVariant?: string;
  windows?: boolean;
  /**
   * The toolchain runner-stage knows how to split: a full toolchain image, or (with `slim`) its slim
   * variant, split only when the stage installs a compiler on it (the runner is then the same image).
   */
  toolchain?: Toolchain;
  /** Already a runtime-only image (slim, alpine, JRE, distroless): nothing for runner-stage to strip. */
  slim?: boolean;
  /** The image's WORKDIR when the Dockerfile sets none. */
  workdir?: string;
  /** Where the facts of the row come from: the image's Dockerfile or documentation (a URL, then what in it). */
  source: string;
}

const gosu = (svc: string, user: string) =>
  `the official ${svc} image's docker-entrypoint.sh starts as root, takes ownership of the data directory and then drops to the ${user} user itself (gosu/su-exec)`;

/**
 * The table, one row per image family, most specific first: the first entry whose name and tag match
 * wins. Each row ends with its source. Keep it in sync with docs/non-root.md and docs/runner-stage.md.
 */
export const BASE_IMAGES: readonly BaseImageEntry[] = [
  // runtime images that already run as non-root
  { family: 'distroless (nonroot)', names: ['gcr.io/distroless/*'], tag: /(^|-)nonroot(-|$)/, defaultUser: 'nonroot', uid: 65532, slim: true,
    source: 'https://github.com/GoogleContainerTools/distroless/blob/main/common/variables.bzl (NONROOT = 65532, the user of the nonroot tags)' },
  { family: 'distroless', names: ['gcr.io/distroless/*'], defaultUser: 'root', uid: 0, users: { nonroot: 65532 }, slim: true,
    source: 'https://github.com/GoogleContainerTools/distroless/blob/main/common/variables.bzl (the other tags run as ROOT; every image has the nonroot user)' },
  { family: 'chainguard', names: ['cgr.dev/chainguard/*'], defaultUser: 'nonroot', uid: 65532, slim: true,
    source: 'https://github.com/chainguard-images/images/blob/main/BEST_PRACTICES.md (images run as nonroot, uid 65532)' },
  { family: 'bitnami', names: ['bitnami/*', 'bitnamilegacy/*'], defaultUser: '1001', uid: 1001,
    source: 'https://github.com/bitnami/containers (each image\'s Dockerfile ends with USER 1001)' },
  { family: 'nginx-unprivileged', names: ['nginxinc/nginx-unprivileged'], defaultUser: 'nginx', uid: 101,
    source: 'https://github.com/nginxinc/docker-nginx-unprivileged (Dockerfile: USER $UID, 101; listens on 8080)' },
  { family: 'jenkins', names: ['jenkins/jenkins'], defaultUser: 'jenkins', uid: 1000,
    source: 'https://github.com/jenkinsci/docker (Dockerfile: ARG uid=1000, USER ${user})' },
  { family: 'grafana', names: ['grafana/grafana', 'grafana/grafana-oss'], defaultUser: 'grafana', uid: 472,
    source: 'https://github.com/grafana/grafana/blob/main/Dockerfile (ARG GF_UID="472", USER "$GF_UID")' },
  { family: 'prometheus', names: ['prom/prometheus', 'quay.io/prometheus/prometheus'], defaultUser: 'nobody', uid: 65534,
    source: 'https://github.com/prometheus/prometheus/blob/main/Dockerfile (USER nobody)' },
  { family: 'keycloak', names: ['quay.io/keycloak/keycloak'], defaultUser: '1000', uid: 1000,
    source: 'https://github.com/keycloak/keycloak/blob/main/quarkus/container/Dockerfile (USER 1000)' },

  // images whose entrypoint needs root, or that listen on privileged ports as root
  { family: 'postgres', names: ['postgres'], defaultUser: 'root', uid: 0, users: { postgres: 999 }, entrypointNeedsRoot: gosu('postgres', 'postgres'),
    source: 'https://github.com/docker-library/postgres (Dockerfile: postgres uid 999; docker-entrypoint.sh drops to it with gosu)' },
  { family: 'mysql', names: ['mysql'], defaultUser: 'root', uid: 0, users: { mysql: 999 }, entrypointNeedsRoot: gosu('mysql', 'mysql'),
    source: 'https://github.com/docker-library/mysql (Dockerfile: mysql uid 999; docker-entrypoint.sh drops to it with gosu)' },
  { family: 'mariadb', names: ['mariadb'], defaultUser: 'root', uid: 0, users: { mysql: 999 }, entrypointNeedsRoot: gosu('mariadb', 'mysql'),
    source: 'https://github.com/MariaDB/mariadb-docker (Dockerfile: mysql uid 999; docker-entrypoint.sh drops to it with gosu)' },
  { family: 'redis', names: ['redis'], defaultUser: 'root', uid: 0, users: { redis: 999 }, entrypointNeedsRoot: gosu('redis', 'redis'),
    source: 'https://github.com/docker-library/redis (Dockerfile: redis uid 999; docker-entrypoint.sh drops to it with gosu/su-exec)' },
  { family: 'mongo', names: ['mongo'], defaultUser: 'root', uid: 0, users: { mongodb: 999 }, entrypointNeedsRoot: gosu('mongo', 'mongodb'),
    source: 'https://github.com/docker-library/mongo (Dockerfile: mongodb uid 999; docker-entrypoint.sh drops to it with gosu)' },
  { family: 'rabbitmq', names: ['rabbitmq'], defaultUser: 'root', uid: 0, users: { rabbitmq: 999 }, entrypointNeedsRoot: gosu('rabbitmq', 'rabbitmq'),
    source: 'https://github.com/docker-library/rabbitmq (Dockerfile: rabbitmq uid 999; docker-entrypoint.sh drops to it with gosu)' },
  { family: 'nginx', names: ['nginx'], defaultUser: 'root', uid: 0, users: { nginx: 101 }, listens: [80], nonRootVariant: 'nginxinc/nginx-unprivileged (listens on 8080)',
    source: 'https://github.com/nginxinc/docker-nginx (Dockerfile: nginx uid 101, EXPOSE 80, no USER)' },
  { family: 'httpd', names: ['httpd'], defaultUser: 'root', uid: 0, users: { 'www-data': 33 }, listens: [80],
    source: 'https://github.com/docker-library/httpd (Listen 80, no USER; www-data is Debian\'s uid 33)' },
  { family: 'php (apache)', names: ['php'], tag: /apache/, defaultUser: 'root', uid: 0, users: { 'www-data': 33 }, listens: [80],
    source: 'https://github.com/docker-library/php (apache variants: Listen 80, no USER; www-data is Debian\'s uid 33)' },
  { family: 'caddy', names: ['caddy'], defaultUser: 'root', uid: 0, listens: [80, 443],
    source: 'https://github.com/caddyserver/caddy-docker (EXPOSE 80 443, no USER)' },

  // language toolchains (runner-stage recipes) and their slim runtimes
  { family: 'golang', names: ['golang'], defaultUser: 'root', uid: 0, toolchain: 'go', workdir: '/go',
    source: 'https://github.com/docker-library/golang (no USER; WORKDIR $GOPATH, /go)' },
  { family: 'node (slim)', names: ['node'], tag: /(^|-)(slim|alpine)/, defaultUser: 'root', uid: 0, users: { node: 1000 }, slim: true, toolchain: 'node',
    source: 'https://github.com/nodejs/docker-node (slim and alpine variants; node uid 1000, no USER)' },
  { family: 'node', names: ['node'], defaultUser: 'root', uid: 0, users: { node: 1000 }, toolchain: 'node',
    source: 'https://github.com/nodejs/docker-node (Dockerfile: node uid 1000, no USER)' },
  { family: 'python (slim)', names: ['python'], tag: /(^|-)(slim|alpine)/, defaultUser: 'root', uid: 0, slim: true, toolchain: 'python',
    source: 'https://github.com/docker-library/python (slim and alpine variants; no USER)' },
  { family: 'python', names: ['python'], defaultUser: 'root', uid: 0, toolchain: 'python',
    source: 'https://github.com/docker-library/python (no USER)' },
  { family: 'eclipse-temurin (jre)', names: ['eclipse-temurin'], tag: /(^|-)jre(-|$)/, defaultUser: 'root', uid: 0, slim: true,
    source: 'https://github.com/adoptium/containers (jre tags; no USER)' },
  { family: 'eclipse-temurin', names: ['eclipse-temurin'], defaultUser: 'root', uid: 0, toolchain: 'java',
    source: 'https://github.com/adoptium/containers (no USER)' },
  { family: 'maven', names: ['maven'], defaultUser: 'root', uid: 0, toolchain: 'java',
    source: 'https://github.com/carlossg/docker-maven (no USER)' },
  { family: 'gradle', names: ['gradle'], defaultUser: 'root', uid: 0, users: { gradle: 1000 }, toolchain: 'java',
    source: 'https://github.com/gradle/docker-gradle (Dockerfile: gradle uid 1000, no USER)' },
  { family: 'rust', names: ['rust'], defaultUser: 'root', uid: 0, toolchain: 'rust',
    source: 'https://github.com/rust-lang/docker-rust (no USER)' },
  { family: 'openjdk', names: ['openjdk', 'amazoncorretto'], defaultUser: 'root', uid: 0,
    source: 'https://github.com/docker-library/openjdk and https://github.com/corretto/corretto-docker (no USER)' },
  { family: 'ruby', names: ['ruby'], defaultUser: 'root', uid: 0,
    source: 'https://github.com/docker-library/ruby (no USER)' },
  { family: 'php', names: ['php'], defaultUser: 'root', uid: 0, users: { 'www-data': 33 },
    source: 'https://github.com/docker-library/php (no USER; www-data is Debian\'s uid 33)' },
  { family: 'deno', names: ['denoland/deno'], defaultUser: 'root', uid: 0, users: { deno: 1993 },
    source: 'https://github.com/denoland/deno_docker (useradd --uid 1993 deno, no USER)' },
  { family: 'dotnet (chiseled)', names: ['mcr.microsoft.com/dotnet/aspnet', 'mcr.microsoft.com/dotnet/runtime', 'mcr.microsoft.com/dotnet/runtime-deps'], tag: /chiseled/, defaultUser: 'app', uid: 1654, slim: true,
    source: 'https://github.com/dotnet/dotnet-docker (chiseled images run as app, APP_UID=1654)' },
  { family: 'dotnet aspnet (before 8.0)', names: ['mcr.microsoft.com/dotnet/aspnet', 'mcr.microsoft.com/dotnet/core/aspnet'], tag: /^(2|3|5|6|7)\./, defaultUser: 'root', uid: 0, listens: [80],
    source: 'https://learn.microsoft.com/en-us/dotnet/core/compatibility/containers/8.0/aspnet-port (before .NET 8 the aspnet images set ASPNETCORE_URLS=http://+:80 and run as root)' },
  { family: 'dotnet', names: ['mcr.microsoft.com/dotnet/aspnet', 'mcr.microsoft.com/dotnet/runtime', 'mcr.microsoft.com/dotnet/runtime-deps', 'mcr.microsoft.com/dotnet/sdk'], defaultUser: 'root', uid: 0, users: { app: 1654 },
    source: 'https://github.com/dotnet/dotnet-docker (runtime-deps creates the app user, APP_UID=1654, inherited by runtime, aspnet and sdk; no USER; 8.0+ listens on 8080)' },

  { family: 'docker (cli)', names: ['docker'], defaultUser: 'root', uid: 0,
    source: 'https://github.com/docker-library/docker (no USER; ENTRYPOINT docker-entrypoint.sh, CMD sh)' },
  { family: 'composer', names: ['composer', 'composer/composer'], defaultUser: 'root', uid: 0,
    source: 'https://github.com/composer/docker (no USER; ENTRYPOINT docker-entrypoint.sh, CMD composer)' },
  { family: 'buildpack-deps', names: ['buildpack-deps'], defaultUser: 'root', uid: 0,
    source: 'https://github.com/docker-library/buildpack-deps (no USER)' },
  { family: 'powershell (windows)', names: ['mcr.microsoft.com/powershell'], tag: /nanoserver|windowsservercore|ltsc/, defaultUser: 'ContainerAdministrator', uid: 0, windows: true,
    source: 'https://github.com/PowerShell/PowerShell-Docker (nanoserver and windowsservercore tags are Windows images)' },
  { family: 'powershell', names: ['mcr.microsoft.com/powershell'], defaultUser: 'root', uid: 0,
    source: 'https://github.com/PowerShell/PowerShell-Docker (Linux tags: no USER, CMD pwsh)' },

  // operating-system bases
  { family: 'scratch', names: ['scratch'], defaultUser: 'root', uid: 0, slim: true,
    source: 'https://docs.docker.com/build/building/base-images/ (scratch: an empty image, no user database)' },
  { family: 'debian', names: ['debian'], defaultUser: 'root', uid: 0,
    source: 'https://github.com/debuerreotype/docker-debian-artifacts (no USER)' },
  { family: 'ubuntu', names: ['ubuntu'], defaultUser: 'root', uid: 0,
    source: 'https://hub.docker.com/_/ubuntu (no USER)' },
  { family: 'alpine', names: ['alpine'], defaultUser: 'root', uid: 0,
    source: 'https://github.com/alpinelinux/docker-alpine (no USER)' },
  { family: 'busybox', names: ['busybox'], defaultUser: 'root', uid: 0,
    source: 'https://github.com/docker-library/busybox (no USER)' },
  { family: 'fedora', names: ['fedora', 'registry.fedoraproject.org/fedora'], defaultUser: 'root', uid: 0,
    source: 'https://github.com/fedora-cloud/docker-brew-fedora (no USER)' },
  { family: 'rhel-compatible', names: ['centos', 'rockylinux', 'almalinux', 'oraclelinux', 'amazonlinux', 'redhat/*', 'registry.access.redhat.com/*', 'registry.redhat.io/*', 'quay.io/centos/*'], defaultUser: 'root', uid: 0,
    source: 'https://catalog.redhat.com/software/base-images (UBI) and the centos, rockylinux, almalinux, oraclelinux and amazonlinux images (no USER)' },

  // Windows: USER means something else there; non-root refuses
  { family: 'windows', names: ['mcr.microsoft.com/windows/*', 'mcr.microsoft.com/windows', 'microsoft/windowsservercore', 'microsoft/nanoserver', 'mcr.microsoft.com/dotnet/framework/*'], defaultUser: 'ContainerAdministrator', uid: 0, windows: true,
    source: 'https://learn.microsoft.com/en-us/virtualization/windowscontainers/manage-containers/container-base-images (ContainerAdministrator by default, ContainerUser)' },
];

const nameMatches = (pattern: string, name: string) =>
  pattern.endsWith('/*') ? name.startsWith(pattern.slice(0, -1)) : name === pattern;

/** The table entry for an image, or null when dockeropt does not know it. */
export function lookupImage(ref: ImageRef): BaseImageEntry | null {
  for (const e of BASE_IMAGES) {
    if (!e.names.some((n) => nameMatches(n, ref.name))) continue;
    if (e.tag && !e.tag.test(ref.tag)) continue;
    return e;
  }
  return null;
}

/** Windows tags of multi-platform images (`8.0-nanoserver-ltsc2022`, `4.8-windowsservercore-ltsc2019`). */
const WINDOWS_TAG = /(^|-)(nanoserver|windowsservercore|servercore|ltsc\d{4})(-|$)/;

/** Is the image a Windows image, by the table or by a Windows tag? */
export function isWindowsRef(ref: ImageRef): boolean {
  return lookupImage(ref)?.windows === true || WINDOWS_TAG.test(ref.tag);
}

/** Is the user (as written in USER, `name[:group]`) root? null when it uses a variable. */
export function isRootUser(user: string): boolean | null {
  if (user.includes('$')) return null;
  const u = user.split(':')[0]!.trim();
  return u === 'root' || u === '0' || u === 'ContainerAdministrator';
}

/** Debian and Ubuntu release codenames that image tags carry. */
export const CODENAMES = ['trixie', 'bookworm', 'bullseye', 'buster', 'stretch', 'noble', 'jammy', 'focal'] as const;
/** distroless `-debianN` suffix per Debian codename. */
const DISTROLESS_DEBIAN: Readonly<Record<string, string>> = { bullseye: 'debian11', bookworm: 'debian12', trixie: 'debian13' };

/** Tag parts: the leading version (`1.22.3`, `20`, `3.12`), the Debian/Ubuntu codename and the alpine suffix. */
export interface TagParts {
  version: string;
  codename: string | null;
  /** `alpine3.19` (or `alpine`) when the tag is alpine-based. */
  alpine: string | null;
  /** Every `-`-separated part after the version. */
  rest: string[];
}

export function tagParts(tag: string): TagParts {
  const parts = tag === '' ? [] : tag.split('-');
  const version = parts.length > 0 && /^\d/.test(parts[0]!) ? parts[0]! : '';
  const rest = version ? parts.slice(1) : parts;
  const codename = rest.find((p) => (CODENAMES as readonly string[]).includes(p)) ?? null;
  const alpine = rest.find((p) => /^alpine(\d+(\.\d+)*)?$/.test(p)) ?? null;
  return { version, codename, alpine, rest };
}

export type RunnerChoice = 'slim' | 'distroless' | 'alpine' | 'scratch';

/** A runner image for a toolchain image, or why there is none. */
export type RunnerImage = { image: string; distroless: boolean; alpine: boolean } | { refuse: string };

/**
 * The slim runtime image matching a toolchain image (same family, version and libc):
 * - go: gcr.io/distroless/static-debian12:nonroot (default, distroless); scratch; debian:<codename>-slim; alpine:<v>
 * - node: node:<version>[-<codename>]-slim
 * - python: python:<version>-slim[-<codename>]
 * - java: eclipse-temurin:<N>-jre[-<codename>|-alpine]; distroless gcr.io/distroless/java<N>-debian12
 * - rust: debian:<codename>-slim (default); distroless gcr.io/distroless/cc-debianN; alpine:<v> for an alpine build
 * `choice` null means the recipe's default.
 */
export function runnerImage(toolchain: Toolchain, ref: ImageRef, choice: RunnerChoice | null): RunnerImage {
  const t = tagParts(ref.tag);
  const alpineVersion = t.alpine ? t.alpine.slice('alpine'.length) : null;
  const alpineImage = () => ({ image: alpineVersion ? `alpine:${alpineVersion}` : 'alpine', distroless: false, alpine: true });
  if (choice === 'alpine' && !t.alpine) {
    return { refuse: `--runner alpine needs an alpine build stage (${ref.name}:${ref.tag || 'latest'} is glibc-based; its output would not run on musl)` };
  }
  if (choice === 'scratch' && toolchain !== 'go') return { refuse: `--runner scratch is only for static Go binaries` };
  switch (toolchain) {
    case 'go': {
      if (choice === 'alpine' || (choice === null && t.alpine)) return alpineImage();
      if (choice === 'scratch') return { image: 'scratch', distroless: true, alpine: false };
      if (choice === 'slim') return { image: `debian:${t.codename ?? 'bookworm'}-slim`, distroless: false, alpine: false };
      return { image: 'gcr.io/distroless/static-debian12:nonroot', distroless: true, alpine: false };
    }
    case 'node': {
      if (choice === 'distroless') return { refuse: 'a distroless Node runner is not supported (its ENTRYPOINT is node, which changes what CMD means); use --runner slim' };
      const v = t.version || (t.rest[0] === 'lts' || t.rest[0] === 'current' ? t.rest[0] : '');
      const parts = [v, t.codename, 'slim'].filter((p): p is string => !!p);
      return { image: `node:${parts.join('-')}`, distroless: false, alpine: false };
    }
    case 'python': {
      if (choice === 'distroless') return { refuse: 'a distroless Python runner is not supported (its Python is Debian\'s, not the one the build stage installed into)' };
      if (!t.version) return { refuse: `the tag of ${ref.name}:${ref.tag || 'latest'} names no Python version; pin one (python:3.12) so the runner matches` };
      const parts = [t.version, 'slim', t.codename].filter((p): p is string => !!p);
      return { image: `python:${parts.join('-')}`, distroless: false, alpine: false };
    }
    case 'java': {
      const n = javaVersion(ref);
      if (n === null) return { refuse: `cannot tell the Eclipse Temurin JDK version of ${ref.name}:${ref.tag || 'latest'} (only Temurin-based maven/gradle/eclipse-temurin tags are mapped to a JRE)` };
      if (choice === 'distroless') {
        if (t.alpine) return { refuse: 'a distroless Java runner needs a glibc build stage' };
        return { image: `gcr.io/distroless/java${n}-debian12`, distroless: true, alpine: false };
      }
      const variant = t.alpine ? 'alpine' : (t.rest.find((p) => ['jammy', 'focal', 'noble'].includes(p)) ?? null);
      return { image: `eclipse-temurin:${n}-jre${variant ? '-' + variant : ''}`, distroless: false, alpine: !!t.alpine };
    }
    case 'rust': {
      if (choice === 'alpine' || (choice === null && t.alpine)) return alpineImage();
      if (t.alpine) return { refuse: `the build stage is alpine (musl); use --runner alpine` };
      if (!t.codename) return { refuse: `the tag of ${ref.name}:${ref.tag || 'latest'} names no Debian release, so the runner's glibc cannot be matched; use a tag like rust:1.79-bookworm` };
      if (choice === 'distroless') {
        const d = DISTROLESS_DEBIAN[t.codename];
        if (!d) return { refuse: `no distroless cc image for Debian ${t.codename}` };
        return { image: `gcr.io/distroless/cc-${d}`, distroless: true, alpine: false };
      }
      return { image: `debian:${t.codename}-slim`, distroless: false, alpine: false };
    }
  }
}

/** The Temurin JDK major version of a maven, gradle or eclipse-temurin tag, or null. */
export function javaVersion(ref: ImageRef): string | null {
  const tag = ref.tag;
  if (ref.name === 'eclipse-temurin') {
    const m = /^(\d+)(?:[.\-_u+]|$)/.exec(tag);
    return m ? m[1]! : null;
  }
  if (ref.name === 'maven') {
    const m = /(?:^|-)eclipse-temurin-(\d+)(?:-|$)/.exec(tag);
    return m ? m[1]! : null;
  }
  if (ref.name === 'gradle') {
    // gradle images are built on eclipse-temurin (jdkN tags); graal/corretto variants are not
    if (/graal|corretto/.test(tag)) return null;
    const m = /(?:^|-)jdk(\d+)(?:-|$)/.exec(tag);
    return m ? m[1]! : null;
  }
  return null;
}
