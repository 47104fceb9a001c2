/**
 * runner-stage beyond the snapshot matrix:
 * - every produced Dockerfile (runner-stage and non-root snapshots) parses, and every `COPY --from=`
 *   names a stage defined before it and, for runner-stage, a path the recognised pattern produced
 *   (the plan's copy whose evidence is written on the input line it came from);
 * - runner-stage followed by non-root (the pipeline order) gives a slim runner that runs as non-root, or
 *   non-root refuses with its reason (the root runner of `--runner slim` listening on port 80).
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { validate } from 'dockerfile-utils';
import type { Copy } from 'dockerfile-ast';
import { DocView } from '../src/document.js';
import { runPipeline } from '../src/pipeline.js';
import { isRootUser, lookupImage, parseImageRef } from '../src/base-images.js';
import { planRunner, runnerStage } from '../transforms/runner-stage/index.js';
import { nonRoot } from '../transforms/non-root.js';
import { contextFs } from '../src/context-fs.js';
import { intentOf } from '../src/build-context.js';
import { loadCases, SNAPSHOTS } from './helpers/fixtures.js';

const cases = loadCases().filter((c) => (c.transform === 'runner-stage' || c.transform === 'non-root') && c.output !== null);
const errorsOf = (text: string) => validate(text).filter((d) => d.severity === 1).map((d) => d.message);

/** [stage names defined before it, the --from value, the source paths] for each COPY --from. */
function copyFroms(text: string): { defined: string[]; from: string; sources: string[] }[] {
  const doc = new DocView(text);
  const out: { defined: string[]; from: string; sources: string[] }[] = [];
  const defined: string[] = [];
  for (const st of doc.stages()) {
    for (const ins of st.instructions) {
      if (ins.getKeyword() !== 'COPY') continue;
      const from = (ins as Copy).getFromFlag()?.getValue();
      if (!from) continue;
      const args = ins.getArguments().map((a) => a.getValue());
      out.push({ defined: [...defined], from: from.toLowerCase(), sources: args.slice(0, -1) });
    }
    defined.push(st.name ?? String(st.index));
  }
  return out;
}

const produced = suite('produced Dockerfiles');
for (const c of cases) {
  produced(`${c.transform}/${c.name}: parses, and every COPY --from names an earlier stage`, () => {
    assert.equal(errorsOf(c.output!), [], 'the output has parse errors');
    for (const cf of copyFroms(c.output!)) {
      assert.ok(cf.defined.includes(cf.from), `COPY --from=${cf.from} names no earlier stage (${cf.defined.join(', ')})`);
    }
  });
  if (c.transform !== 'runner-stage') continue;
  produced(`${c.transform}/${c.name}: every COPY --from copies a path the recognised pattern produced`, () => {
    const context = contextFs(c.contextDir);
    const plan = planRunner(new DocView(c.input), { runner: null, ...(c.options ?? {}) } as Parameters<typeof planRunner>[1], { context, intent: intentOf(context, 'input.Dockerfile') });
    assert.ok(plan && !('refuse' in plan), 'the plan refuses a case that has an output');
    if (!plan || 'refuse' in plan) return;
    const inputLines = c.input.split('\n');
    const added = copyFroms(c.output!).filter((cf) => !copyFroms(c.input).some((x) => x.sources.join() === cf.sources.join()));
    assert.ok(added.length > 0, 'the runner stage copies nothing');
    for (const cf of added) {
      assert.is(cf.from, plan.stageName.toLowerCase());
      for (const src of cf.sources) {
        const copy = plan.copies.find((p) => p.src === src);
        assert.ok(copy, `COPY --from=${cf.from} ${src}: not a path the plan produced`);
        assert.ok(inputLines[copy!.line - 1]?.includes(copy!.evidence), `${src}: line ${copy!.line} of the input does not name ${copy!.evidence}`);
      }
    }
  });
}
produced.run();

const pair = suite('runner-stage then non-root');
for (const c of loadCases().filter((x) => x.transform === 'runner-stage' && x.output !== null)) {
  pair(`${c.name}: the runner runs as a non-root user (or non-root says why not), and a second run changes nothing`, async () => {
    const opts = { transforms: [runnerStage, nonRoot], options: { 'runner-stage': { ...(c.options ?? {}) } }, runtime: true, file: 'input.Dockerfile', buildContext: contextFs(c.contextDir) };
    const once = await runPipeline(c.input, opts);
    assert.equal(errorsOf(once.text), []);
    const stages = new DocView(once.text).stages();
    assert.is(stages.length, 2);
    const final = stages[1]!;
    const users = final.instructions.filter((i) => i.getKeyword() === 'USER').map((i) => i.getArguments()[0]!.getValue());
    const last = users[users.length - 1];
    if (last !== undefined) {
      assert.is(isRootUser(last), false, `the runner's USER ${last} is root`);
      assert.match(last, /^\d+$/, 'the USER non-root adds is numeric');
    } else {
      const entry = lookupImage(parseImageRef(final.from.getImage()!)!);
      // a root runner non-root refuses (a port below 1024): it must say so
      const refused = once.outcomes.find((o) => o.transform === 'non-root' && o.kind === 'refuse');
      assert.ok((entry && entry.uid !== 0) || refused, `no USER, the runner ${final.from.getImage()} runs as root, and non-root does not say why`);
    }
    const twice = await runPipeline(once.text, opts);
    assert.is(twice.text, once.text);
    assert.equal(twice.outcomes.filter((o) => o.kind === 'rewrite'), []);
  });
}
pair('node service: USER 1001 lands in the runner, before its CMD', async () => {
  const input = ['FROM node:20', 'WORKDIR /app', 'COPY package*.json ./', 'RUN npm ci', 'COPY . .', 'EXPOSE 3000', 'CMD ["node", "server.js"]', ''].join('\n');
  // the build context of the splits-node case: package.json, a package-lock.json whose one install script is esbuild's
  const r = await runPipeline(input, { transforms: [runnerStage, nonRoot], runtime: true, buildContext: contextFs(`${SNAPSHOTS}runner-stage/splits-node/context`) });
  assert.is(r.text, [
    'FROM node:20 AS build', 'WORKDIR /app', 'COPY package*.json ./', 'RUN npm ci', 'COPY . .', '',
    'FROM node:20-slim', 'WORKDIR /app', 'COPY --from=build /app /app', 'EXPOSE 3000', 'USER 1001', 'CMD ["node", "server.js"]', '',
  ].join('\n'));
});
pair.run();
