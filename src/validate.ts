/**
 * What BuildKit's parser rejects (checked against BuildKit's own code, `../shared/tools/bkparse`): an
 * unknown instruction, FROM without one-or-three arguments, an instruction with too few arguments, an
 * instruction before the first FROM other than ARG. Such a file is reported as `file:line: what is wrong`
 * and never rewritten (a rewrite of a file that does not build proves nothing).
 */
import type { DocView } from './document.js';
import { closest } from './suggest.js';

const KNOWN = ['ADD', 'ARG', 'CMD', 'COPY', 'ENTRYPOINT', 'ENV', 'EXPOSE', 'FROM', 'HEALTHCHECK', 'LABEL', 'MAINTAINER', 'ONBUILD', 'RUN', 'SHELL', 'STOPSIGNAL', 'USER', 'VOLUME', 'WORKDIR'];
/** Instructions BuildKit rejects with no argument at all (CMD, ENTRYPOINT and RUN accept none). */
const NEEDS_ONE = ['ARG', 'ENV', 'EXPOSE', 'HEALTHCHECK', 'LABEL', 'MAINTAINER', 'ONBUILD', 'SHELL', 'STOPSIGNAL', 'USER', 'VOLUME', 'WORKDIR'];

export interface Invalid { line: number; message: string }

/** The first line BuildKit would reject, with BuildKit's reason; null when the file parses. */
export function invalidInstruction(doc: DocView): Invalid | null {
  let stage = false;
  for (const ins of doc.instructions()) {
    const kw = ins.getKeyword().toUpperCase();
    const line = doc.lineOfNode(ins);
    const args = ins.getArguments().length;
    if (!KNOWN.includes(kw)) {
      const word = ins.getInstruction();
      // a control or invisible character glued to the keyword is part of the word for BuildKit: name it
      const odd = [...new Set([...word].filter((ch) => !/^[\x21-\x7e]$/.test(ch)))].map((ch) => `U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`);
      const visible = [...word].filter((ch) => /^[\x21-\x7e]$/.test(ch)).join('');
      const near = closest(odd.length ? visible.toUpperCase() : kw, KNOWN);
      return { line, message: `unknown instruction: ${odd.length ? `${JSON.stringify(word).slice(1, -1).replace(/[^\x20-\x7e]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`)} (it contains ${odd.join(', ')}, which BuildKit reads as part of the word)` : word}${near ? ` (did you mean ${near}?)` : ''}` };
    }
    if (kw === 'FROM') {
      const a = ins.getArguments();
      if (!(args === 1 || (args === 3 && a[1]!.getValue().toUpperCase() === 'AS'))) return { line, message: 'FROM requires either one or three arguments (FROM image [AS name])' };
      stage = true;
      continue;
    }
    if (!stage && kw !== 'ARG') return { line, message: `${kw} before the first FROM: no build stage in current context` };
    if ((kw === 'COPY' || kw === 'ADD') && args < 2) return { line, message: `${kw} requires at least two arguments (source and destination)` };
    if (NEEDS_ONE.includes(kw) && args === 0) return { line, message: `${kw} requires an argument` };
  }
  return null;
}
