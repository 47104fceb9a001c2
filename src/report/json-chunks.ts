/**
 * `JSON.stringify(value, null, 2)` in pieces, the same bytes: the JSON and SARIF documents of a batch of
 * thousands of files are tens of MB of text, and writing them as one string (and the Buffer the stream
 * makes of it) held that twice at the very end of the run. The outer objects and arrays are written
 * key by key and element by element, down to `depth` levels; what is below is stringified whole and
 * re-indented (a JSON text never holds a raw newline inside a string, so every newline is layout).
 */
export function* jsonChunks(value: unknown, depth = 3, indent = ''): Generator<string> {
  if (depth <= 0 || value === null || typeof value !== 'object' || typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    const text = JSON.stringify(value, null, 2);
    yield indent ? text.replaceAll('\n', `\n${indent}`) : text;
    return;
  }
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    if (value.length === 0) { yield '[]'; return; }
    yield '[\n';
    for (let i = 0; i < value.length; i++) {
      const v = value[i];
      yield inner;
      // as JSON.stringify: an element it cannot represent is null
      if (v === undefined || typeof v === 'function' || typeof v === 'symbol') yield 'null';
      else yield* jsonChunks(v, depth - 1, inner);
      yield i < value.length - 1 ? ',\n' : '\n';
    }
    yield `${indent}]`;
    return;
  }
  // as JSON.stringify: properties it cannot represent are left out
  const entries = Object.entries(value).filter(([, v]) => v !== undefined && typeof v !== 'function' && typeof v !== 'symbol');
  if (entries.length === 0) { yield '{}'; return; }
  yield '{\n';
  for (let i = 0; i < entries.length; i++) {
    const [k, v] = entries[i]!;
    yield `${inner}${JSON.stringify(k)}: `;
    yield* jsonChunks(v, depth - 1, inner);
    yield i < entries.length - 1 ? ',\n' : '\n';
  }
  yield `${indent}}`;
}

/** Writes `JSON.stringify(value, null, 2) + '\n'` to `out` in pieces (see jsonChunks), a few KB per write. */
export function writeJson(out: { write(s: string): unknown }, value: unknown, depth = 3): void {
  let buf = '';
  for (const c of jsonChunks(value, depth)) {
    buf += c;
    if (buf.length >= 16_384) { out.write(buf); buf = ''; }
  }
  out.write(buf + '\n');
}
