import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { DocView } from '../src/document.js';
import { shippedStages } from '../src/stages.js';

const shipped = (text: string) => [...shippedStages(new DocView(text))].sort();
const t = suite('shippedStages');
t('the final stage and its FROM chain ship; COPY --from sources and unused stages do not', () => {
  assert.equal(shipped('FROM debian:12\nRUN a\n'), [0]);
  assert.equal(shipped('FROM golang AS build\nRUN go build\nFROM debian AS base\nFROM base AS app\nCOPY --from=build /x /x\nFROM alpine AS unused\nFROM app\n'), [1, 2, 4]);
  assert.equal(shipped('FROM golang AS Build\nFROM build\n'), [0, 1]);
});
t('FROM with a variable or a later name is an image, not a stage', () => {
  assert.equal(shipped('FROM golang AS build\nARG B=build\nFROM $B\n'), [1]);
  assert.equal(shipped('FROM later\nFROM debian AS later\n'), [1]);
  assert.equal(shipped(''), []);
});
t.run();
