import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { replaceRange, insertAt } from '../../src/edits.js';
import type { Transform } from '../../src/types.js';

/** A validator for SARIF 2.1.0 logs built from the official schema in test/data (see its README). */
export function sarifValidator(): (doc: unknown) => string[] {
  const schema = JSON.parse(readFileSync(fileURLToPath(new URL('../data/sarif-schema-2.1.0.json', import.meta.url)), 'utf8')) as Record<string, unknown>;
  schema.$id = schema.id;
  delete schema.id;
  schema.$schema = 'http://json-schema.org/draft-07/schema#';
  const ajv = new (Ajv as unknown as typeof Ajv.default)({ allErrors: true, strict: false });
  (addFormats as unknown as typeof addFormats.default)(ajv);
  const validate = ajv.compile(schema);
  return (doc) => (validate(doc) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`));
}

/** Test-only transform (runtime): puts `LABEL tested=yes` after the first FROM line unless it is there. */
export const labelTransform: Transform = {
  id: 'add-label',
  summary: 'Add a test label',
  safety: 'runtime',
  defaults: { value: 'yes' },
  apply(doc, ctx) {
    if (doc.text.includes('LABEL tested=')) return [];
    const nl = doc.text.indexOf('\n');
    if (nl === -1) return [];
    return [{ kind: 'rewrite', line: 2, message: 'adds a label', edits: [insertAt(nl + 1, `LABEL tested=${String(ctx.options.value)}${doc.eol}`)] }];
  },
};

/** Test-only transform (build-only): upper-cases every `run ` keyword written in lower case, one change per line. */
export const upperRun: Transform = {
  id: 'upper-run',
  summary: 'Upper-case run',
  safety: 'build-only',
  defaults: {},
  apply(doc) {
    const out = [];
    let line = 1;
    for (let i = 0; i < doc.text.length; i++) {
      if ((i === 0 || doc.text[i - 1] === '\n') && doc.text.startsWith('run ', i)) {
        out.push({ kind: 'rewrite' as const, line, message: 'upper-cased RUN', edits: [replaceRange(i, i + 3, 'RUN')] });
      }
      if (doc.text[i] === '\n') line++;
    }
    return out;
  },
};
