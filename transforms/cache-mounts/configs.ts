/**
 * The package managers' own config files, which can move the cache: `.npmrc` `cache=`, `pip.conf` `cache-dir`,
 * Maven's `settings.xml` `<localRepository>`, Yarn classic's `.yarnrc` `cache-folder`, Yarn berry's `.yarnrc.yml`
 * `globalFolder`/`cacheFolder`, Gradle's `gradle.properties` `gradle.user.home`.
 *
 * A config file reaches the image through a COPY/ADD before the RUN (a file of that name, or a directory of the
 * context holding one at its top) or through an earlier RUN (`npm config set cache …`, `pip config set …`, a
 * redirection into a file of that name). Its value is read from the build context; when it cannot be read (a file
 * from another stage or a URL, a RUN that writes it, a value with variables) the RUN is refused. A value that is
 * read is the cache location when no option or variable of the command overrides it (npm, pip, Maven, Yarn classic);
 * the others are refused (not followed). With no build context known, directory COPYs cannot be looked into.
 */
import type { Instruction, Run } from 'dockerfile-ast';
import { isExecForm } from '../../src/document.js';
import { parseView, runShellView, simpleCommands, wordLit, type ShNode } from '../../src/shell.js';
import type { Resolver } from './resolve.js';
import { refuse, type Eco, type EcoContext } from './types.js';
import { absTarget, base } from './words.js';

interface ConfigFile {
  /** File names the tool reads as config (wherever they are copied, to stay on the safe side). */
  names: readonly string[];
  /** The value that moves the cache, or null when the file does not set it; 'unfollowed' for a key that is refused. */
  value(text: string): string | null | { unfollowed: string };
  /** `<tool> config set <key> …` forms (words after the tool) that write the key, and the tool names. */
  tools: readonly string[];
  setKey: RegExp;
}

const ini = (key: RegExp) => (text: string): string | null => {
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*([^=#;[\s][^=]*?)\s*=\s*(.*?)\s*$/.exec(line);
    if (m && key.test(m[1]!)) return m[2]!.replace(/^(["'])(.*)\1$/, '$2');
  }
  return null;
};

export const CONFIG_FILES: Partial<Record<Eco, ConfigFile>> = {
  npm: { names: ['.npmrc', 'npmrc'], value: ini(/^cache$/), tools: ['npm'], setKey: /^cache(=|$)/ },
  pip: { names: ['pip.conf', 'pip.ini'], value: ini(/^(cache-dir|cache_dir)$/), tools: ['pip', 'pip3'], setKey: /\.(cache-dir|no-cache-dir)$/ },
  maven: {
    names: ['settings.xml'],
    value: (t) => { const m = /<localRepository>\s*([^<]*?)\s*<\/localRepository>/.exec(t.replace(/<!--[\s\S]*?-->/g, '')); return m ? m[1]! : null; },
    tools: [], setKey: /^$/,
  },
  yarn: {
    names: ['.yarnrc', '.yarnrc.yml'],
    value: (t) => {
      if (/^\s*(globalFolder|cacheFolder)\s*:/m.test(t)) return { unfollowed: 'globalFolder/cacheFolder' };
      const m = /^\s*(?:--)?cache-folder\s+"?([^"\s]+)"?\s*$/m.exec(t);
      return m ? m[1]! : null;
    },
    tools: ['yarn'], setKey: /^(cache-folder|cacheFolder|globalFolder)$/,
  },
  gradle: { names: ['gradle.properties'], value: (t) => (ini(/^(systemProp\.)?gradle\.user\.home$/)(t) !== null ? { unfollowed: 'gradle.user.home' } : null), tools: [], setKey: /^$/ },
};

/** The cache location a config file in the image sets for this ecosystem, or null; refuses when it cannot be known. */
export function configuredCache(eco: Eco, r: Resolver, ec: EcoContext, what: string): string | null {
  const cf = CONFIG_FILES[eco];
  if (!cf) return null;
  let found: { value: string; where: string } | null = null;
  const use = (text: string | null, where: string) => {
    if (text === null) refuse(`${where} puts a ${cf.names[0]} into the image whose content cannot be read from the build context; it can move ${what}`);
    const v = cf.value(text!);
    if (v === null) return;
    if (typeof v === 'object') refuse(`${where} sets ${v.unfollowed}, which moves ${what}; this transform does not follow it`);
    if (/[$%]\{|\$[A-Za-z_]/.test(v as string) && !/^\$\{user\.home\}/.test(v as string)) refuse(`${where} sets ${what} to ${v}, a value with variables`);
    found = { value: (v as string).replace(/^\$\{user\.home\}|^~(?=\/|$)/, r.home()), where };
  };
  for (const ins of ec.before) {
    const kw = ins.getKeyword();
    if (kw === 'COPY' || kw === 'ADD') {
      const args = ins.getArguments().map((a) => a.getValue()).filter((a) => !a.startsWith('--'));
      const fromStage = (ins as Run).getFlags().some((f) => f.getName().toLowerCase() === 'from');
      for (const src of args.slice(0, -1)) {
        const where = `the ${kw} on line ${ec.doc.lineOfNode(ins)}`;
        const name = src.replace(/\/+$/, '').split('/').pop() ?? '';
        if (cf.names.includes(name)) { use(fromStage || /^[a-z]+:\/\//.test(src) ? null : ec.ctx.buildContext.readText(src), where); continue; }
        // a directory of the context: the config files at its top
        if (!fromStage && (src === '.' || src.endsWith('/') || ec.ctx.buildContext.isDirectory(src))) {
          for (const n of cf.names) {
            const rel = src === '.' ? n : `${src.replace(/\/+$/, '')}/${n}`;
            if (ec.ctx.buildContext.exists(rel)) use(ec.ctx.buildContext.readText(rel), `${where} (${rel})`);
          }
        }
      }
    }
    if (kw === 'RUN' && !isExecForm(ins)) runWrites(ins, ec, cf, what);
  }
  for (const c of ec.allCmds) if (cf.tools.includes(base(c.words[0]) ?? '') && c.words[1] === 'config' && c.words[2] === 'set' && cf.setKey.test(c.words[3] ?? '')) refuse(`${c.words.slice(0, 4).join(' ')} in the RUN moves ${what}`);
  const f = found as { value: string; where: string } | null;
  return f ? absTarget(f.value, `${what} (from ${f.where})`) : null;
}

/** An earlier RUN that sets the key with the tool, or writes a file of a config file's name. */
function runWrites(ins: Instruction, ec: EcoContext, cf: ConfigFile, what: string): void {
  const v = runShellView(ec.doc, ins);
  const p = v ? parseView(v) : null;
  if (!p || 'error' in p) return;
  const line = ec.doc.lineOfNode(ins);
  for (const c of simpleCommands(p.file)) {
    const w = c.words;
    if (cf.tools.includes(base(w[0]) ?? '') && (w[1] === 'config' || w[1] === 'c') && w[2] === 'set' && cf.setKey.test(w[3] ?? '')) refuse(`the RUN on line ${line} runs ${w.slice(0, 4).join(' ')}, which moves ${what}`);
    for (const rd of (c.stmt.Redirs ?? []) as ShNode[]) {
      const target = rd.Word ? wordLit(rd.Word) : null;
      const name = target?.split('/').pop() ?? null;
      if (name !== null && cf.names.includes(name)) refuse(`the RUN on line ${line} writes ${target}, a config file that can move ${what}; its content is not known`);
    }
  }
}
