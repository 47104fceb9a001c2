/** The base-image table: reference parsing, one lookup per family, and the runner mapping. */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { BASE_IMAGES, isRootUser, javaVersion, lookupImage, parseImageRef, runnerImage, tagParts } from '../src/base-images.js';

const ref = suite('parseImageRef');
ref('splits registry, repository, tag and digest; Docker Hub spellings are one', () => {
  assert.equal(parseImageRef('node:20'), { registry: '', repo: 'node', tag: '20', digest: '', name: 'node' });
  assert.equal(parseImageRef('docker.io/library/node:20')?.name, 'node');
  assert.equal(parseImageRef('index.docker.io/bitnami/redis:7')?.name, 'bitnami/redis');
  const d = parseImageRef('gcr.io/distroless/static-debian12:nonroot@sha256:abc')!;
  assert.equal([d.registry, d.repo, d.tag, d.digest], ['gcr.io', 'distroless/static-debian12', 'nonroot', 'sha256:abc']);
  assert.equal(parseImageRef('localhost:5000/app')?.registry, 'localhost:5000');
  assert.equal(parseImageRef('localhost:5000/app')?.tag, '');
});
ref('a reference with a build argument is not parsed', () => {
  assert.is(parseImageRef('golang:${GO_VERSION}'), null);
  assert.is(parseImageRef('$BASE'), null);
});
ref.run();

const look = suite('lookupImage: one image per family');
const expect: [string, string, number][] = [
  ['gcr.io/distroless/static-debian12:nonroot', 'distroless (nonroot)', 65532],
  ['gcr.io/distroless/python3-debian12:debug-nonroot', 'distroless (nonroot)', 65532],
  ['gcr.io/distroless/static-debian12', 'distroless', 0],
  ['cgr.dev/chainguard/node:latest', 'chainguard', 65532],
  ['bitnami/node:20', 'bitnami', 1001],
  ['nginxinc/nginx-unprivileged:1.27', 'nginx-unprivileged', 101],
  ['jenkins/jenkins:lts', 'jenkins', 1000],
  ['grafana/grafana:11.0.0', 'grafana', 472],
  ['prom/prometheus', 'prometheus', 65534],
  ['quay.io/keycloak/keycloak:25.0', 'keycloak', 1000],
  ['postgres:16', 'postgres', 0],
  ['mysql:8.4', 'mysql', 0],
  ['mariadb:11', 'mariadb', 0],
  ['redis:7-alpine', 'redis', 0],
  ['mongo:7', 'mongo', 0],
  ['rabbitmq:3-management', 'rabbitmq', 0],
  ['nginx:1.27', 'nginx', 0],
  ['httpd:2.4', 'httpd', 0],
  ['php:8.3-apache', 'php (apache)', 0],
  ['php:8.3-fpm', 'php', 0],
  ['caddy:2', 'caddy', 0],
  ['golang:1.22', 'golang', 0],
  ['node:20', 'node', 0],
  ['node:20-slim', 'node (slim)', 0],
  ['node:20-alpine', 'node (slim)', 0],
  ['python:3.12', 'python', 0],
  ['python:3.12-slim-bookworm', 'python (slim)', 0],
  ['eclipse-temurin:21-jdk', 'eclipse-temurin', 0],
  ['eclipse-temurin:21-jre-alpine', 'eclipse-temurin (jre)', 0],
  ['maven:3.9-eclipse-temurin-21', 'maven', 0],
  ['gradle:8.7-jdk17', 'gradle', 0],
  ['rust:1.79-bookworm', 'rust', 0],
  ['openjdk:17', 'openjdk', 0],
  ['ruby:3.3', 'ruby', 0],
  ['denoland/deno:2.0.0', 'deno', 0],
  ['mcr.microsoft.com/dotnet/aspnet:8.0', 'dotnet', 0],
  ['mcr.microsoft.com/dotnet/aspnet:8.0-jammy-chiseled', 'dotnet (chiseled)', 1654],
  ['mcr.microsoft.com/dotnet/runtime-deps:8.0', 'dotnet', 0],
  ['mcr.microsoft.com/dotnet/runtime-deps:8.0-jammy-chiseled', 'dotnet (chiseled)', 1654],
  ['mcr.microsoft.com/dotnet/aspnet:6.0', 'dotnet aspnet (before 8.0)', 0],
  ['docker:29-cli', 'docker (cli)', 0],
  ['composer:2', 'composer', 0],
  ['buildpack-deps:bookworm-curl', 'buildpack-deps', 0],
  ['mcr.microsoft.com/powershell:lts-nanoserver-ltsc2022', 'powershell (windows)', 0],
  ['mcr.microsoft.com/powershell:7.4-ubuntu-22.04', 'powershell', 0],
  ['scratch', 'scratch', 0],
  ['debian:bookworm-slim', 'debian', 0],
  ['ubuntu:24.04', 'ubuntu', 0],
  ['alpine:3.20', 'alpine', 0],
  ['busybox', 'busybox', 0],
  ['registry.fedoraproject.org/fedora:39', 'fedora', 0],
  ['redhat/ubi9-minimal', 'rhel-compatible', 0],
  ['mcr.microsoft.com/windows/servercore:ltsc2022', 'windows', 0],
];
for (const [image, family, uid] of expect) {
  look(`${image} -> ${family} (uid ${uid})`, () => {
    const e = lookupImage(parseImageRef(image)!);
    assert.ok(e, 'not in the table');
    assert.is(e!.family, family);
    assert.is(e!.uid, uid);
    assert.is(e!.uid === 0, e!.defaultUser === 'root' || e!.defaultUser === 'ContainerAdministrator');
  });
}
look('every family in the table is covered above', () => {
  const covered = new Set(expect.map(([, f]) => f));
  assert.equal(BASE_IMAGES.map((e) => e.family).filter((f) => !covered.has(f)), []);
});
look('images whose entrypoint needs root say why', () => {
  for (const n of ['postgres', 'mysql', 'mariadb', 'redis', 'mongo', 'rabbitmq']) assert.match(lookupImage(parseImageRef(n)!)!.entrypointNeedsRoot ?? '', /root/);
  assert.is(lookupImage(parseImageRef('node:20')!)!.entrypointNeedsRoot, undefined);
});
look('dotnet: runtime-deps ships the app user (uid 1654); the aspnet images before 8.0 listen on 80 as root, 8.0 on 8080', () => {
  assert.equal(lookupImage(parseImageRef('mcr.microsoft.com/dotnet/runtime-deps:8.0')!)!.users, { app: 1654 });
  assert.equal(lookupImage(parseImageRef('mcr.microsoft.com/dotnet/aspnet:6.0-bullseye-slim')!)!.listens, [80]);
  assert.is(lookupImage(parseImageRef('mcr.microsoft.com/dotnet/aspnet:8.0')!)!.listens, undefined);
});
look('an unknown image is unknown', () => {
  assert.is(lookupImage(parseImageRef('registry.example.com/team/base:1')!), null);
});
look.run();

const users = suite('isRootUser');
users('root, 0 and 0:0 are root; names and uids are not; variables are unknown', () => {
  for (const u of ['root', '0', '0:0', 'root:root']) assert.is(isRootUser(u), true, u);
  for (const u of ['1001', 'node', '1001:0', 'nonroot']) assert.is(isRootUser(u), false, u);
  assert.is(isRootUser('${UID}'), null);
});
users.run();

const runner = suite('runnerImage');
const r = (image: string, tc: Parameters<typeof runnerImage>[0], choice: Parameters<typeof runnerImage>[2] = null) => {
  const x = runnerImage(tc, parseImageRef(image)!, choice);
  return 'refuse' in x ? `refuse: ${x.refuse}` : x.image;
};
runner('maps each toolchain to its slim runtime of the same version', () => {
  assert.is(r('golang:1.22', 'go'), 'gcr.io/distroless/static-debian12:nonroot');
  assert.is(r('golang:1.22', 'go', 'scratch'), 'scratch');
  assert.is(r('golang:1.22-bookworm', 'go', 'slim'), 'debian:bookworm-slim');
  assert.is(r('golang:1.22-alpine3.20', 'go'), 'alpine:3.20');
  assert.is(r('node:20', 'node'), 'node:20-slim');
  assert.is(r('node:20.11.1-bookworm', 'node'), 'node:20.11.1-bookworm-slim');
  assert.is(r('python:3.12', 'python'), 'python:3.12-slim');
  assert.is(r('python:3.11-bookworm', 'python'), 'python:3.11-slim-bookworm');
  assert.is(r('maven:3.9-eclipse-temurin-21', 'java'), 'eclipse-temurin:21-jre');
  assert.is(r('maven:3.9-eclipse-temurin-17-alpine', 'java'), 'eclipse-temurin:17-jre-alpine');
  assert.is(r('gradle:8.7-jdk17', 'java', 'distroless'), 'gcr.io/distroless/java17-debian12');
  assert.is(r('eclipse-temurin:21-jdk-jammy', 'java'), 'eclipse-temurin:21-jre-jammy');
  assert.is(r('rust:1.79-bookworm', 'rust'), 'debian:bookworm-slim');
  assert.is(r('rust:1.79-slim-bookworm', 'rust', 'distroless'), 'gcr.io/distroless/cc-debian12');
  assert.is(r('rust:1.79-alpine3.20', 'rust'), 'alpine:3.20');
});
runner('refuses what it cannot match', () => {
  assert.match(r('golang:1.22', 'go', 'alpine'), /^refuse: --runner alpine needs an alpine build stage/);
  assert.match(r('rust:1.79', 'rust'), /^refuse: .*names no Debian release/);
  assert.match(r('python:3', 'python'), /^python:3-slim$/);
  assert.match(r('maven:3.9-amazoncorretto-17', 'java'), /^refuse: cannot tell the Eclipse Temurin JDK version/);
  assert.match(r('node:20', 'node', 'scratch'), /^refuse: --runner scratch is only for static Go binaries/);
});
runner('tag parts and Java versions', () => {
  assert.equal(tagParts('1.22-alpine3.20'), { version: '1.22', codename: null, alpine: 'alpine3.20', rest: ['alpine3.20'] });
  assert.equal(tagParts('lts-bookworm').codename, 'bookworm');
  assert.is(javaVersion(parseImageRef('eclipse-temurin:17.0.11_9-jdk')!), '17');
  assert.is(javaVersion(parseImageRef('gradle:jdk21')!), '21');
  assert.is(javaVersion(parseImageRef('gradle:8-jdk21-graal')!), null);
});
runner.run();
