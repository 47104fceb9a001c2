#!/usr/bin/env node
// Part of `npm run build`: writes V8's code cache of the mvdan-sh bundle next to dist/src/shell.js, so a
// cold start does not compile the 1.5 MB bundle (src/shell.ts SHELL_CODE_CACHE). The cache is specific
// to this Node.js and its flags; when V8 rejects it (another Node.js), the bundle is compiled as usual.
import { writeShellCodeCache, SHELL_CODE_CACHE } from '../dist/src/shell.js';

// shell text of the kinds RUN instructions hold, so the parser's functions are in the cache too
const samples = [
  'apt-get update && apt-get install -y --no-install-recommends curl ca-certificates && rm -rf /var/lib/apt/lists/*',
  'set -eux; for f in a b c; do echo "$f" > /tmp/$f; done; if [ -n "${X:-}" ]; then X=$(cat /etc/os-release | grep ID); fi',
  'npm ci --omit=dev && npm cache clean --force || { echo failed >&2; exit 1; }',
  'cd /src && go build -o /out/app ./cmd/app 2>&1 | tee /tmp/log; case "$1" in a|b) : ;; *) exit 2 ;; esac',
  "pip install --no-cache-dir -r requirements.txt; arr=(1 2 3); echo ${arr[@]} <<EOF\nx\nEOF\n(cd / && ls) & wait; x=$((1 + 2)); [[ -f /a ]] && echo 'ok'",
];
const bytes = writeShellCodeCache(samples);
console.log(`code cache: ${SHELL_CODE_CACHE} (${Math.round(bytes / 1024)} KB)`);
