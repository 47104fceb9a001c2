// Runs another node script in this process and prints its peak resident set size (KiB) to stderr on exit,
// for the benchmark: `node scripts/rss.mjs bin/dockeropt.js ARGS...`. Worker threads count too.
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
const [script, ...args] = process.argv.slice(2);
process.argv = [process.argv[0], resolve(script), ...args];
process.on('exit', () => process.stderr.write(`\nDOCKEROPT_MAX_RSS_KB=${process.resourceUsage().maxRSS}\n`));
await import(pathToFileURL(resolve(script)).href);
