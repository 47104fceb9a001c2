/** Where each ecosystem's cache is, for one command: reads the row of the ecosystem table. */
import { ECOSYSTEMS, type PathSpec, type Source } from './ecosystems.js';
import type { Resolver } from './resolve.js';
import { refuse, type EcoContext, type Mount, type ToolCmd } from './types.js';
import { absTarget, noCacheValue, optionValue } from './words.js';

export function targetsFor(t: ToolCmd, r: Resolver, ec: EcoContext): Mount[] {
  const e = ECOSYSTEMS[t.eco];
  if (e.system && !r.user.root) refuse(`${t.tool} runs as ${r.user.label}, not root, so it cannot install system packages here`);
  if (e.offWhen && noCacheValue(r.envOutsideCommand(e.offWhen.env))) refuse(e.offWhen.reason);
  if (e.unfollowed) {
    const u = e.unfollowed;
    const reason = u.reason.replace('{tool}', t.tool);
    for (const names of u.options ?? []) if (optionValue(t.sc, r, [...names], t.at + 1).present) refuse(reason);
    if (u.words && t.sc.words.some((w) => w !== null && u.words!.test(w))) refuse(reason);
  }
  const c = e.cache;
  const paths = typeof c === 'function' ? c(t, r, ec)
    : 'fixed' in c ? [...c.fixed]
    : 'byTool' in c ? [...c.byTool[t.tool]!]
    : c.flatMap((spec) => specPaths(spec, t, r));
  e.check?.(t, r, ec, paths);
  return paths.map((target) => ({ target, locked: e.system === true, eco: t.eco }));
}

/** The first source of the spec that is given, as absolute paths (its subdirectories when the spec names some). */
function specPaths(spec: PathSpec, t: ToolCmd, r: Resolver): string[] {
  for (const s of spec.from) {
    const found = fromSource(s, spec.what, t, r);
    if (found !== null) return spec.subdirs ? found.flatMap((p) => spec.subdirs!.map((d) => p + d)) : found;
  }
  return refuse(`${spec.what} is not known`);
}

function fromSource(s: Source, what: string, t: ToolCmd, r: Resolver): string[] | null {
  if ('option' in s) {
    const o = optionValue(t.sc, r, [...s.option], t.at + 1);
    return o.present ? [absTarget(o.value, s.what ?? `the ${s.option[0]} value of ${s.of}`)] : null;
  }
  if ('env' in s) {
    const v = r.env(s.env);
    return v !== undefined ? [absTarget(v + (s.append ?? ''), s.what ?? what)] : null;
  }
  if ('cacheHome' in s) return [absTarget(r.cacheHome() + s.cacheHome, what)];
  if ('dataHome' in s) return [absTarget((r.xdg('XDG_DATA_HOME') ?? `${r.home()}/.local/share`) + s.dataHome, what)];
  return (typeof s.home === 'string' ? [s.home] : s.home).map((p) => absTarget(r.home() + p, what));
}
