/**
 * Go: the module cache ($GOMODCACHE, else the first GOPATH entry's pkg/mod) and the build cache ($GOCACHE,
 * else the user cache dir's go-build). `go mod …` only uses the module cache. GOPATH is read first.
 */
import type { Resolver } from './resolve.js';
import { refuse, type ToolCmd } from './types.js';
import { absTarget } from './words.js';

export function goCaches(t: ToolCmd, r: Resolver): string[] {
  const gopath = (r.env('GOPATH') ?? `${r.home()}/go`).split(':')[0]!;
  const mod = absTarget(r.env('GOMODCACHE') ?? `${gopath}/pkg/mod`, 'the Go module cache (GOMODCACHE)');
  if (t.sub === 'mod') return [mod];
  const gc = r.env('GOCACHE');
  if (gc === 'off') refuse('GOCACHE=off disables the Go build cache');
  return [mod, absTarget(gc ?? `${r.cacheHome()}/go-build`, 'the Go build cache (GOCACHE)')];
}
