/**
 * The language server, end to end: the real built server (`node bin/dockeropt.js lsp --stdio`) spoken
 * to over stdio by vscode-languageserver-protocol's JSON-RPC client, the edits it offers applied with
 * vscode-languageserver-textdocument (what editors' LSP clients do), and the results compared with the
 * real CLI run on the same file.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  createProtocolConnection, StreamMessageReader, StreamMessageWriter, PublishDiagnosticsNotification, ShowMessageNotification,
  ConfigurationRequest, type CodeAction, type Diagnostic, type ProtocolConnection, type PublishDiagnosticsParams, type ShowMessageParams,
  type TextEdit, type WorkspaceEdit, type Range,
} from 'vscode-languageserver-protocol/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { BIN, cleanup, cli, tree } from './helpers/tmp.js';

const EXAMPLE = readFileSync(new URL('../examples/api/Dockerfile', import.meta.url), 'utf8');
/** Only merge-run has something to do here, even in the default pipeline. */
const ONLY_MERGE = 'FROM debian:12\nRUN echo a\nRUN echo b\nUSER 1001\n';
const WHOLE: Range = { start: { line: 0, character: 0 }, end: { line: 10_000, character: 0 } };

interface StartOptions {
  initializationOptions?: unknown;
  /** Answers `workspace/configuration` (and says the client can). */
  configuration?: () => unknown;
  folder?: string;
  documentChanges?: boolean;
}

class Client {
  readonly published: PublishDiagnosticsParams[] = [];
  readonly messages: ShowMessageParams[] = [];
  readonly texts = new Map<string, { text: string; version: number }>();
  private waiters: (() => void)[] = [];
  stderr = '';

  private constructor(readonly child: ChildProcess, readonly conn: ProtocolConnection) {}

  static async start(o: StartOptions = {}): Promise<Client> {
    const child = spawn(process.execPath, [BIN, 'lsp', '--stdio'], { stdio: ['pipe', 'pipe', 'pipe'], env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root' } });
    const conn = createProtocolConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
    const c = new Client(child, conn);
    child.stderr!.on('data', (d: Buffer) => { c.stderr += d.toString(); });
    conn.onNotification(PublishDiagnosticsNotification.type, (p) => { c.published.push(p); c.wake(); });
    conn.onNotification(ShowMessageNotification.type, (p) => { c.messages.push(p); c.wake(); });
    if (o.configuration) conn.onRequest(ConfigurationRequest.type, (p) => p.items.map(() => o.configuration!()));
    conn.listen();
    await conn.sendRequest('initialize', {
      processId: process.pid,
      rootUri: o.folder ? pathToFileURL(o.folder).href : null,
      workspaceFolders: o.folder ? [{ uri: pathToFileURL(o.folder).href, name: 'ws' }] : null,
      capabilities: { workspace: { configuration: Boolean(o.configuration), workspaceEdit: { documentChanges: o.documentChanges ?? true } } },
      ...(o.initializationOptions !== undefined ? { initializationOptions: o.initializationOptions } : {}),
    });
    await conn.sendNotification('initialized', {});
    return c;
  }

  private wake() { const w = this.waiters; this.waiters = []; for (const f of w) f(); }

  /** Resolves when `pred` holds, re-checked on every notification; fails after `ms`. */
  async until<T>(what: string, pred: () => T | undefined | null | false, ms = 30_000): Promise<T> {
    const end = Date.now() + ms;
    for (;;) {
      const v = pred();
      if (v) return v;
      const left = end - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}; server stderr:\n${this.stderr}`);
      await new Promise<void>((r) => { const t = setTimeout(r, left); this.waiters.push(() => { clearTimeout(t); r(); }); });
    }
  }

  /** The diagnostics published for this version of the document (the last publish for it). */
  diagnostics(uri: string, version?: number): Promise<Diagnostic[]> {
    const v = version ?? this.texts.get(uri)?.version;
    return this.until(`diagnostics of ${uri} v${v}`, () => [...this.published].reverse().find((p) => p.uri === uri && p.version === v)?.diagnostics);
  }

  async open(path: string, text: string, version = 1): Promise<string> {
    const uri = path.includes(':') ? path : pathToFileURL(path).href;
    this.texts.set(uri, { text, version });
    await this.conn.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'dockerfile', version, text } });
    return uri;
  }

  async change(uri: string, text: string): Promise<number> {
    const version = this.texts.get(uri)!.version + 1;
    this.texts.set(uri, { text, version });
    await this.conn.sendNotification('textDocument/didChange', { textDocument: { uri, version }, contentChanges: [{ text }] });
    return version;
  }

  async close(uri: string): Promise<void> {
    this.texts.delete(uri);
    await this.conn.sendNotification('textDocument/didClose', { textDocument: { uri } });
  }

  actions(uri: string, o: { range?: Range; diagnostics?: Diagnostic[]; only?: string[] } = {}): Promise<CodeAction[]> {
    return this.conn.sendRequest('textDocument/codeAction', {
      textDocument: { uri }, range: o.range ?? WHOLE, context: { diagnostics: o.diagnostics ?? [], ...(o.only ? { only: o.only } : {}) },
    }) as Promise<CodeAction[]>;
  }

  /** The action's edit applied to the document's current text, as an editor applies it. */
  apply(uri: string, action: CodeAction): string {
    const cur = this.texts.get(uri)!;
    return applyEdit(uri, cur.text, cur.version, action.edit!);
  }

  async configure(settings: unknown): Promise<void> {
    await this.conn.sendNotification('workspace/didChangeConfiguration', { settings });
  }

  /** shutdown, exit: the exit code. */
  async stop(): Promise<number | null> {
    const exited = new Promise<number | null>((r) => this.child.on('exit', (code) => r(code)));
    await this.conn.sendRequest('shutdown');
    await this.conn.sendNotification('exit');
    const code = await exited;
    this.conn.dispose();
    return code;
  }

  kill() { if (this.child.exitCode === null) this.child.kill(); }
}

function applyEdit(uri: string, text: string, version: number, edit: WorkspaceEdit): string {
  let edits: TextEdit[];
  if (edit.documentChanges) {
    assert.is(edit.documentChanges.length, 1);
    const dc = edit.documentChanges[0] as { textDocument: { uri: string; version: number }; edits: TextEdit[] };
    assert.is(dc.textDocument.uri, uri);
    assert.is(dc.textDocument.version, version, 'the edit is for the version the editor has');
    edits = dc.edits;
  } else {
    edits = edit.changes![uri]!;
  }
  return TextDocument.applyEdits(TextDocument.create(uri, 'dockerfile', version, text), edits);
}

/** What the CLI writes for this text at this path: `dockeropt --write [args] FILE`, then the file read back. */
function cliWrite(dir: string, rel: string, text: string, args: string[] = []): string {
  writeFileSync(join(dir, rel), text);
  const r = cli(['--write', ...args, rel], dir);
  assert.ok(r.status === 0, `${r.stdout}\n${r.stderr}`);
  const out = readFileSync(join(dir, rel), 'utf8');
  writeFileSync(join(dir, rel), text);
  return out;
}

/** The CLI, without blocking this process (whose event loop serves a test registry). */
function cliAsync(args: string[], cwd: string): Promise<number | null> {
  return new Promise((r) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd, stdio: 'ignore', env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root' } });
    child.on('exit', (code) => r(code));
  });
}

interface JsonOutcome { transform: string; line: number; kind: string; message?: string; reason?: string; safety?: string }
function cliJson(dir: string, rel: string, args: string[] = []): { status: string; outcomes: JsonOutcome[]; error?: { message: string } } {
  // the language server shows every pending rewrite, runtime ones included: the CLI's --runtime run
  const r = cli(['--json', '--runtime', ...args, rel], dir);
  return (JSON.parse(r.stdout) as { files: { status: string; outcomes: JsonOutcome[]; error?: { message: string } }[] }).files[0]!;
}

/** Every CLI outcome has its diagnostic (same transform, line, text, label) and there are no others. */
function assertMatchesCli(diags: Diagnostic[], outcomes: JsonOutcome[]): void {
  assert.is(diags.length, outcomes.length, `diagnostics: ${JSON.stringify(diags.map((d) => d.message))}\ncli: ${JSON.stringify(outcomes)}`);
  for (const o of outcomes) {
    const label = o.kind === 'rewrite' ? `[${o.safety}] ${o.message}` : `[${o.kind === 'refuse' ? 'skipped' : o.kind}] ${o.message ?? o.reason}`;
    const d = diags.find((x) => x.code === o.transform && x.range.start.line === o.line - 1 && x.message.startsWith(label));
    assert.ok(d, `no diagnostic for ${JSON.stringify(o)} in ${JSON.stringify(diags.map((x) => [x.code, x.range.start.line, x.message]))}`);
    assert.is(d!.source, 'dockeropt');
    assert.is(d!.severity, o.kind === 'rewrite' ? 3 : o.kind === 'error' ? 2 : 4);
  }
}

/** The transforms with a pending rewrite. */
const rewrites = (diags: Diagnostic[]) => diags.filter((d) => d.severity === 3).map((d) => d.code);
const quickFixes = (acts: CodeAction[]) => acts.filter((a) => a.kind === 'quickfix');
const rewriteFix = (acts: CodeAction[], transform: string) => acts.find((a) => a.kind === 'quickfix' && /^\[(build-only|runtime)\] /.test(a.title) && a.title.includes(`] ${transform}: `));

/** Runs `body` with a started server, always killing it at the end. */
async function withServer(o: StartOptions, body: (c: Client) => Promise<void>): Promise<void> {
  const c = await Client.start(o);
  try { await body(c); } finally { c.kill(); }
}

const diag = suite('lsp: diagnostics');

diag('every outcome of the CLI for the file, with its label, transform id as code, source and severity', async () => {
  const dir = tree({ 'api/Dockerfile': EXAMPLE });
  try {
    await withServer({ folder: dir }, async (c) => {
      const uri = await c.open(join(dir, 'api/Dockerfile'), EXAMPLE);
      const diags = await c.diagnostics(uri);
      assertMatchesCli(diags, cliJson(dir, 'api/Dockerfile').outcomes);
      const rewrite = diags.find((d) => d.code === 'merge-run' && d.severity === 3)!;
      assert.is(rewrite.message, '[build-only] merges 2 consecutive RUN instructions (lines 3, 4) into one');
      assert.equal(rewrite.range, { start: { line: 2, character: 0 }, end: { line: 3, character: 67 } }, 'the two RUN lines');
      const refusal = diags.find((d) => d.code === 'merge-run' && d.severity === 4)!;
      assert.ok(refusal.message.startsWith('[skipped] not merged with the RUN on line 7: `cd` changes the working directory'));
      assert.ok(diags.some((d) => d.code === 'non-root' && d.message.startsWith('[runtime] adds USER 1001 before CMD')));
      // cache-mounts mounts the RUN merge-run made: not a change of its own on this text
      const mounts = diags.find((d) => d.code === 'cache-mounts' && d.message.includes('adds cache mounts for apt'))!;
      assert.ok(mounts.message.endsWith('(builds on an earlier change in this file, so it is offered only with "dockeropt: apply all build-only changes")'), mounts.message);
    });
  } finally { cleanup(dir); }
});

diag('the file\'s path decides the config file, .dockeroptignore and the build context, as on the command line', async () => {
  const npm = 'FROM node:20\nWORKDIR /app\nCOPY . .\nRUN npm ci\nUSER node\nCMD ["node", "index.js"]\n';
  const dir = tree({
    'a/Dockerfile': EXAMPLE,
    'a/.dockeroptrc.json': JSON.stringify({ skip: ['non-root', 'cache-mounts'] }),
    'b/Dockerfile': npm, 'b/package.json': '{"name":"b"}', 'b/package-lock.json': '{}', 'b/.dockerignore': 'node_modules\n',
    'c/Dockerfile': ONLY_MERGE,
    '.dockeroptignore': 'c/\n',
  });
  try {
    await withServer({ folder: dir }, async (c) => {
      const a = await c.diagnostics(await c.open(join(dir, 'a/Dockerfile'), EXAMPLE));
      assert.ok(a.length > 0 && a.every((d) => d.code !== 'non-root' && d.code !== 'cache-mounts'), JSON.stringify(a));
      assertMatchesCli(a, cliJson(dir, 'a/Dockerfile').outcomes);
      const bUri = await c.open(join(dir, 'b/Dockerfile'), npm);
      const b = await c.diagnostics(bUri);
      assert.ok(b.some((d) => d.code === 'split-copy' && d.severity === 3), JSON.stringify(b));
      assertMatchesCli(b, cliJson(dir, 'b/Dockerfile').outcomes);
      const fixAll = (await c.actions(bUri, { only: ['source.fixAll'] }))[0]!;
      assert.is(c.apply(bUri, fixAll), cliWrite(dir, 'b/Dockerfile', npm));
      assert.equal(await c.diagnostics(await c.open(join(dir, 'c/Dockerfile'), ONLY_MERGE)), [], 'ignored by .dockeroptignore');
      // the same text in a document with no file (untitled): no config, no context, the default pipeline
      const u = await c.diagnostics(await c.open('untitled:Untitled-1', npm));
      assert.ok(!u.some((d) => d.code === 'split-copy' && d.severity === 3), 'no build context, no manifests to copy');
    });
  } finally { cleanup(dir); }
});

diag('a bad config file is an error on the document that names it; the other documents go on', async () => {
  const dir = tree({ 'bad/Dockerfile': ONLY_MERGE, 'bad/.dockeroptrc.json': '{"skp": []}', 'good/Dockerfile': ONLY_MERGE });
  try {
    await withServer({ folder: dir }, async (c) => {
      const bad = await c.diagnostics(await c.open(join(dir, 'bad/Dockerfile'), ONLY_MERGE));
      assert.is(bad.length, 1);
      assert.is(bad[0]!.severity, 1);
      assert.ok(bad[0]!.message.includes('.dockeroptrc.json: "skp" is not a dockeropt setting'), bad[0]!.message);
      const good = await c.diagnostics(await c.open(join(dir, 'good/Dockerfile'), ONLY_MERGE));
      assert.equal(rewrites(good), ['merge-run']);
    });
  } finally { cleanup(dir); }
});

diag('documents BuildKit cannot parse get what the CLI says about them, and the server goes on', async () => {
  const docs = {
    'unknown-instruction/Dockerfile': 'FROM debian:12\nFROBNICATE x\nRUN a\nRUN b\n',
    'from-without-image/Dockerfile': 'FROM\nRUN a\nRUN b\n',
    'unterminated-heredoc/Dockerfile': 'FROM debian:12\nRUN <<EOF\necho hi\n',
  };
  const dir = tree(docs);
  try {
    await withServer({ folder: dir }, async (c) => {
      for (const [rel, text] of Object.entries(docs)) {
        const diags = await c.diagnostics(await c.open(join(dir, rel), text));
        const r = cliJson(dir, rel);
        if (r.status === 'error') {
          // the CLI fails the file: one error diagnostic with the same message
          assert.is(diags.length, 1, rel);
          assert.is(diags[0]!.severity, 1);
          assert.ok(diags[0]!.message.includes(r.error!.message), `${rel}: ${diags[0]!.message}`);
        } else {
          assertMatchesCli(diags, r.outcomes);
        }
      }
      const good = await c.diagnostics(await c.open(join(dir, 'ok'), ONLY_MERGE));
      assert.equal(rewrites(good), ['merge-run']);
    });
  } finally { cleanup(dir); }
});

diag('a document the CLI would refuse to read (a NUL byte, an over-long line) is an error; the server goes on', async () => {
  await withServer({}, async (c) => {
    const nul = await c.diagnostics(await c.open('untitled:nul', 'FROM debian:12\nRUN echo \0\n'));
    assert.is(nul.length, 1);
    assert.is(nul[0]!.severity, 1);
    assert.ok(nul[0]!.message.includes('looks like a binary file (it contains a NUL byte)'), nul[0]!.message);
    assert.is(nul[0]!.range.start.line, 1);
    const long = await c.diagnostics(await c.open('untitled:long', `FROM debian:12\nRUN echo ${'x'.repeat(300_000)}\n`));
    assert.ok(long[0]!.message.includes('line 2 is 300009 characters long'), long[0]!.message);
    assert.equal(rewrites(await c.diagnostics(await c.open('untitled:ok', ONLY_MERGE))), ['merge-run']);
    assert.equal(await c.actions('untitled:nul'), []);
    assert.equal(await c.diagnostics(await c.open('untitled:ignored', `# dockeropt ignore-file\n${ONLY_MERGE}`)), [], 'ignore-file: nothing to say');
  });
});

diag('a closed document\'s diagnostics are cleared', async () => {
  await withServer({}, async (c) => {
    const uri = await c.open('untitled:x', ONLY_MERGE);
    assert.ok((await c.diagnostics(uri)).length > 0);
    await c.close(uri);
    await c.until('cleared diagnostics', () => c.published.at(-1)?.uri === uri && c.published.at(-1)!.diagnostics.length === 0);
  });
});

diag.run();

const fixes = suite('lsp: code actions');

fixes('a quick fix is exactly the rewrite\'s edits: on a file with one change it gives the CLI\'s --write output (LF and CRLF)', async () => {
  const crlf = ONLY_MERGE.replace(/\n/g, '\r\n');
  const bom = `\uFEFF${ONLY_MERGE}`;
  const dir = tree({ 'lf/Dockerfile': ONLY_MERGE, 'crlf/Dockerfile': crlf, 'bom/Dockerfile': bom });
  try {
    await withServer({ folder: dir }, async (c) => {
      for (const [rel, text] of [['lf/Dockerfile', ONLY_MERGE], ['crlf/Dockerfile', crlf], ['bom/Dockerfile', bom]] as const) {
        const uri = await c.open(join(dir, rel), text);
        const [d] = await c.diagnostics(uri);
        const acts = await c.actions(uri, { range: d!.range, diagnostics: [d!] });
        const fix = rewriteFix(acts, 'merge-run')!;
        assert.is(fix.title, '[build-only] merge-run: merges 2 consecutive RUN instructions (lines 2, 3) into one');
        assert.equal(fix.diagnostics, [d]);
        assert.is(fix.isPreferred, true);
        const out = c.apply(uri, fix);
        assert.is(out, cliWrite(dir, rel, text));
        if (rel.startsWith('crlf')) assert.ok(out.includes('RUN echo a \\\r\n    && echo b\r\n'), JSON.stringify(out));
        else assert.ok(!out.includes('\r'));
        assert.is(out.startsWith('\uFEFF'), rel.startsWith('bom'));
      }
    });
  } finally { cleanup(dir); }
});

fixes('quick fixes on a file with several changes: the same edits as the CLI\'s SARIF fixes; a change that builds on another is offered only within fix-all', async () => {
  const dir = tree({ 'api/Dockerfile': EXAMPLE });
  try {
    await withServer({ folder: dir }, async (c) => {
      const uri = await c.open(join(dir, 'api/Dockerfile'), EXAMPLE);
      const diags = await c.diagnostics(uri);
      const sarif = JSON.parse(cli(['--format', 'sarif', '--runtime', 'api/Dockerfile'], dir).stdout) as {
        runs: { results: { ruleId: string; message: { text: string }; fixes?: { artifactChanges: { replacements: { deletedRegion: { startLine: number; startColumn: number; endLine: number; endColumn: number }; insertedContent: { text: string } }[] }[] }[] }[] }[];
      };
      const acts = await c.actions(uri);
      for (const id of ['merge-run', 'non-root']) {
        const fix = rewriteFix(acts, id)!;
        assert.ok(fix, `a quick fix for ${id}: ${JSON.stringify(acts.map((a) => a.title))}`);
        const result = sarif.runs[0]!.results.find((r) => r.ruleId === id && r.fixes)!;
        const want = result.fixes![0]!.artifactChanges[0]!.replacements.map((x) => ({
          range: { start: { line: x.deletedRegion.startLine - 1, character: x.deletedRegion.startColumn - 1 }, end: { line: x.deletedRegion.endLine - 1, character: x.deletedRegion.endColumn - 1 } },
          newText: x.insertedContent.text,
        }));
        assert.equal((fix.edit!.documentChanges![0] as { edits: TextEdit[] }).edits, want, id);
      }
      assert.is(rewriteFix(acts, 'non-root')!.title, '[runtime] non-root: adds USER 1001 before CMD: the base image debian (debian) runs as root');
      assert.is(rewriteFix(acts, 'non-root')!.isPreferred, false);
      // the mounts on the RUN that merge-run made build on that merge: offered within fix-all only
      const mounts = diags.find((d) => d.code === 'cache-mounts' && d.message.includes('adds cache mounts'))!;
      const forMounts = quickFixes(await c.actions(uri, { range: mounts.range, diagnostics: [mounts] }));
      const viaAll = forMounts.find((a) => a.title.startsWith('dockeropt: apply all build-only changes (this change builds on an earlier one: [build-only] cache-mounts: adds cache mounts'))!;
      assert.ok(viaAll, JSON.stringify(forMounts.map((a) => a.title)));
      assert.is(c.apply(uri, viaAll), cliWrite(dir, 'api/Dockerfile', EXAMPLE));
    });
  } finally { cleanup(dir); }
});

fixes('applying the quick fixes one at a time, as a person would, ends at the CLI\'s --write output', async () => {
  const dir = tree({ 'api/Dockerfile': EXAMPLE });
  try {
    await withServer({ folder: dir }, async (c) => {
      const uri = await c.open(join(dir, 'api/Dockerfile'), EXAMPLE);
      const applied: string[] = [];
      for (let i = 0; i < 10; i++) {
        await c.diagnostics(uri);
        const fix = (await c.actions(uri)).find((a) => a.kind === 'quickfix' && /^\[(build-only|runtime)\] /.test(a.title));
        if (!fix) break;
        applied.push(fix.title.replace(/:.*/, ''));
        await c.change(uri, c.apply(uri, fix));
      }
      // (no # syntax= directive: cache-mounts adds it only with syntaxDirective / --syntax-directive)
      assert.equal(applied, ['[build-only] merge-run', '[build-only] cache-mounts', '[runtime] non-root']);
      assert.is(c.texts.get(uri)!.text, cliWrite(dir, 'api/Dockerfile', EXAMPLE, ['--runtime']));
      assert.equal((await c.diagnostics(uri)).filter((d) => d.severity === 3), [], 'nothing pending any more');
    });
  } finally { cleanup(dir); }
});

fixes('fix-all: every build-only change (the CLI\'s plain --write); with runtime: true every change (the CLI\'s --write --runtime)', async () => {
  const dir = tree({ 'api/Dockerfile': EXAMPLE, 'm/Dockerfile': ONLY_MERGE });
  try {
    await withServer({ folder: dir, documentChanges: false }, async (c) => {
      const uri = await c.open(join(dir, 'api/Dockerfile'), EXAMPLE);
      await c.diagnostics(uri);
      const only = await c.actions(uri, { only: ['source.fixAll'] });
      assert.equal(only.map((a) => [a.kind, a.title]), [['source.fixAll.dockeropt', 'dockeropt: apply all build-only changes']]);
      assert.ok(only[0]!.edit!.changes, 'plain changes for a client without documentChanges');
      const safe = c.apply(uri, only[0]!);
      assert.is(safe, cliWrite(dir, 'api/Dockerfile', EXAMPLE));
      assert.ok(!safe.includes('USER 1001'));
      // a file with build-only changes only: fix-all is the CLI's --write
      const m = await c.open(join(dir, 'm/Dockerfile'), ONLY_MERGE);
      await c.diagnostics(m);
      assert.is(c.apply(m, (await c.actions(m, { only: ['source.fixAll.dockeropt'] }))[0]!), cliWrite(dir, 'm/Dockerfile', ONLY_MERGE));
      assert.equal((await c.actions(m, { only: ['quickfix'] })).map((a) => a.kind), ['quickfix', 'quickfix']);

      await c.configure({ dockeropt: { runtime: true } });
      await c.until('re-analysis', () => c.published.filter((p) => p.uri === uri).length >= 2);
      const all = (await c.actions(uri, { only: ['source.fixAll'] }))[0]!;
      assert.is(all.title, 'dockeropt: apply all changes (runtime included)');
      assert.is(c.apply(uri, all), cliWrite(dir, 'api/Dockerfile', EXAMPLE, ['--runtime']));
      // a change that builds on another is now offered through fix-all, which includes it
      const mounts = (await c.diagnostics(uri)).find((d) => d.code === 'cache-mounts' && d.message.includes('adds cache mounts'))!;
      assert.ok(mounts.message.endsWith('offered only with "dockeropt: apply all changes (runtime included)")'), mounts.message);
      // nothing left to do: no fix-all
      const done = await c.open(join(dir, 'done'), cliWrite(dir, 'api/Dockerfile', EXAMPLE, ['--runtime']));
      await c.diagnostics(done);
      assert.equal(await c.actions(done, { only: ['source.fixAll'] }), []);
    });
  } finally { cleanup(dir); }
});

fixes('the pragma action inserts # dockeropt ignore=<id> above the instruction, which stops the change (in the server and the CLI)', async () => {
  const dir = tree({ 'm/Dockerfile': ONLY_MERGE, 'p/Dockerfile': 'FROM debian:12\n  # dockeropt ignore=non-root\n  RUN echo a\nRUN echo b\n' });
  try {
    await withServer({ folder: dir }, async (c) => {
      const uri = await c.open(join(dir, 'm/Dockerfile'), ONLY_MERGE);
      const [d] = await c.diagnostics(uri);
      const pragma = (await c.actions(uri, { range: d!.range, diagnostics: [d!] })).find((a) => a.title.startsWith('dockeropt: ignore'))!;
      assert.is(pragma.title, 'dockeropt: ignore merge-run here (# dockeropt ignore=merge-run)');
      const text = c.apply(uri, pragma);
      assert.is(text, 'FROM debian:12\n# dockeropt ignore=merge-run\nRUN echo a\nRUN echo b\nUSER 1001\n');
      const v = await c.change(uri, text);
      const after = await c.diagnostics(uri, v);
      assert.ok(!after.some((x) => x.severity === 3), JSON.stringify(after));
      assert.ok(after.some((x) => x.message.startsWith('[note] not applied (# dockeropt ignore)')), JSON.stringify(after));
      assert.is(cliWrite(dir, 'm/Dockerfile', text), text, 'the CLI leaves it alone too');
      // an existing pragma gets the id added, with the instruction's indentation kept
      const p = await c.open(join(dir, 'p/Dockerfile'), 'FROM debian:12\n  # dockeropt ignore=non-root\n  RUN echo a\nRUN echo b\n');
      const pd = (await c.diagnostics(p)).find((x) => x.code === 'merge-run')!;
      const add = (await c.actions(p, { range: pd.range, diagnostics: [pd] })).find((a) => a.title.startsWith('dockeropt: ignore'))!;
      assert.is(c.apply(p, add), 'FROM debian:12\n  # dockeropt ignore=non-root,merge-run\n  RUN echo a\nRUN echo b\n');
    });
  } finally { cleanup(dir); }
});

fixes('the pragma is offered only where it works: not for a refusal the transform does not check it for, nor for the syntax directive', async () => {
  // the directive only with cache-mounts' syntaxDirective option (here from the folder's config)
  const dir = tree({ 'api/Dockerfile': EXAMPLE, '.dockeroptrc.json': JSON.stringify({ options: { 'cache-mounts': { syntaxDirective: true } } }) });
  await withServer({ folder: dir }, async (c) => {
    const uri = await c.open(join(dir, 'api/Dockerfile'), EXAMPLE);
    const diags = await c.diagnostics(uri);
    const offered = async (d: Diagnostic) => (await c.actions(uri, { range: d.range, diagnostics: [d] })).some((a) => a.title === `dockeropt: ignore ${String(d.code)} here (# dockeropt ignore=${String(d.code)})` && a.diagnostics?.[0]?.message === d.message);
    const refusal = diags.find((d) => d.code === 'merge-run' && d.severity === 4)!;
    assert.is(await offered(refusal), false, 'merge-run refuses whatever the comments say');
    const directive = diags.find((d) => d.code === 'cache-mounts' && d.message.includes('# syntax='))!;
    assert.is(await offered(directive), false, 'the directive goes above every instruction');
    const mounts = diags.find((d) => d.code === 'cache-mounts' && d.message.includes('adds cache mounts'))!;
    assert.is(await offered(mounts), true);
    // non-root puts USER above the comments before CMD; a pragma anywhere in them stops it (the CLI agrees)
    const user = diags.find((d) => d.code === 'non-root' && d.severity === 3)!;
    assert.is(await offered(user), true);
    const d2 = tree({ Dockerfile: EXAMPLE.replace('CMD [', '# dockeropt ignore=non-root\nCMD [') });
    try {
      const out = cli(['--no-config', '--runtime', 'Dockerfile'], d2).stdout;
      assert.not.ok(out.includes('[runtime] non-root:'), out);
      assert.not.ok(out.includes('+USER'), out);
    } finally { cleanup(d2); }
  });
  cleanup(dir);
});

fixes.run();

const config = suite('lsp: settings');

config('didChangeConfiguration: only, skip and transform options apply as the CLI flags do; bad settings are refused and said', async () => {
  const dir = tree({ 'api/Dockerfile': EXAMPLE });
  try {
    await withServer({ folder: dir }, async (c) => {
      const uri = await c.open(join(dir, 'api/Dockerfile'), EXAMPLE);
      await c.diagnostics(uri);
      const next = async () => {
        const n = c.published.filter((p) => p.uri === uri).length;
        await c.until('re-analysis', () => c.published.filter((p) => p.uri === uri).length > n);
        return c.published.filter((p) => p.uri === uri).at(-1)!.diagnostics;
      };
      let p = next();
      await c.configure({ dockeropt: { only: ['merge-run'] } });
      let diags = await p;
      assert.equal([...new Set(diags.map((d) => d.code))], ['merge-run']);
      assertMatchesCli(diags, cliJson(dir, 'api/Dockerfile', ['--only', 'merge-run']).outcomes);
      p = next();
      await c.configure({ dockeropt: { skip: ['merge-run', 'runner-stage'], options: { 'non-root': { user: '4242' } } } });
      diags = await p;
      assertMatchesCli(diags, cliJson(dir, 'api/Dockerfile', ['--skip', 'merge-run,runner-stage', '--user', '4242']).outcomes);
      const user = rewriteFix(await c.actions(uri), 'non-root')!;
      assert.ok(user.title.startsWith('[runtime] non-root: adds USER 4242'), user.title);
      // an unknown transform, a wrong option: said, and the settings in force stay
      const before = c.published.length;
      await c.configure({ dockeropt: { only: ['nope'] } });
      await c.until('an error message', () => c.messages.some((m) => m.type === 1 && m.message.includes('"only[0]" names an unknown transform "nope"')));
      await c.configure({ dockeropt: { options: { 'non-root': { usr: 'x' } } } });
      await c.until('an error message', () => c.messages.some((m) => m.message.includes('"options.non-root.usr" is not an option of non-root')));
      await c.configure({ dockeropt: { runtime: 'yes' } });
      await c.until('an error message', () => c.messages.some((m) => m.message.includes('"runtime" must be true or false')));
      assert.is(c.published.length, before, 'no re-analysis for refused settings');
      assert.ok(rewriteFix(await c.actions(uri), 'non-root')!.title.startsWith('[runtime] non-root: adds USER 4242'));
    });
  } finally { cleanup(dir); }
});

config('initializationOptions and the pull model (workspace/configuration) set the same settings', async () => {
  // an editor that answers workspace/configuration with nothing (VS Code without a "dockeropt" section) keeps them
  await withServer({ initializationOptions: { dockeropt: { only: ['non-root'] } }, configuration: () => null }, async (c) => {
    const d = await c.diagnostics(await c.open('untitled:a', EXAMPLE));
    assert.equal([...new Set(d.map((x) => x.code))], ['non-root']);
  });
  let answer: unknown = { skip: ['non-root', 'cache-mounts', 'runner-stage'] };
  await withServer({ configuration: () => answer }, async (c) => {
    const uri = await c.open('untitled:a', EXAMPLE);
    await c.until('pulled settings', () => c.published.some((p) => p.uri === uri && p.diagnostics.length && p.diagnostics.every((x) => x.code === 'merge-run')));
    answer = { only: ['cache-mounts'] };
    const n = c.published.length;
    await c.configure(null);
    await c.until('pulled again', () => c.published.slice(n).some((p) => p.uri === uri && p.diagnostics.length && p.diagnostics.every((x) => x.code === 'cache-mounts')));
  });
});

config('the server never contacts a registry unless the editor settings name pin-digests', async () => {
  let connections = 0;
  const server = net.createServer((s) => { connections++; s.destroy(); });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as net.AddressInfo).port;
  const map = { 'docker.io': `127.0.0.1:${port}` };
  const text = 'FROM debian:12\nRUN echo a\n';
  const dir = tree({ 'Dockerfile': text, '.dockeroptrc.json': JSON.stringify({ only: ['pin-digests'], options: { 'pin-digests': { registryMap: map, registryTimeout: 5 } } }) });
  try {
    // the setup does reach the port: the CLI, following the config file, connects
    await cliAsync(['Dockerfile'], dir);
    assert.ok(connections > 0, 'the CLI contacts the mapped registry');
    connections = 0;
    await withServer({ folder: dir }, async (c) => {
      const uri = await c.open(join(dir, 'Dockerfile'), text);
      assert.equal(await c.diagnostics(uri), [], 'the config file alone does not enable pin-digests in the editor');
      await c.actions(uri);
      assert.is(connections, 0);
      const n = c.published.length;
      await c.configure({ dockeropt: { only: ['pin-digests'] } });
      const d = await c.until('pin-digests diagnostics', () => c.published.slice(n).find((p) => p.uri === uri)?.diagnostics);
      assert.ok(connections > 0, 'named in the editor settings, it resolves the images');
      assert.ok(d.some((x) => x.code === 'pin-digests' && x.severity === 2 && x.message.startsWith('[error] ')), JSON.stringify(d));
    });
  } finally {
    server.close();
    cleanup(dir);
  }
});

config.run();

const life = suite('lsp: lifecycle');

life('a newer version cancels a stale run: only the last of rapid changes is analysed, and code actions wait for it', async () => {
  await withServer({ initializationOptions: { debounce: 150 } }, async (c) => {
    const uri = await c.open('untitled:r', EXAMPLE);
    await c.diagnostics(uri);
    const start = c.published.length;
    const texts = [ONLY_MERGE, EXAMPLE, ONLY_MERGE.replace('echo a', 'echo x'), EXAMPLE.replace('/srv', '/opt')];
    for (const t of texts) await c.change(uri, t);
    const last = c.texts.get(uri)!.version;
    // asked at once, before the debounce is over: the actions are those of the last version
    const acts = await c.actions(uri);
    assert.ok(acts.every((a) => !a.edit?.documentChanges || (a.edit.documentChanges[0] as { textDocument: { version: number } }).textDocument.version === last));
    assert.ok(rewriteFix(acts, 'non-root'));
    const diags = await c.diagnostics(uri, last);
    assert.ok(diags.some((d) => d.code === 'non-root' && d.severity === 3));
    await new Promise((r) => setTimeout(r, 400));
    assert.equal(c.published.slice(start).map((p) => p.version), [last], 'no diagnostics for the versions in between');
  });
});

life('initialize, shutdown, exit: exit code 0; exit without shutdown: 1; no --stdio: a usage error', async () => {
  const c = await Client.start();
  try {
    await c.diagnostics(await c.open('untitled:a', ONLY_MERGE));
    assert.is(await c.stop(), 0);
  } finally { c.kill(); }
  const d = await Client.start();
  try {
    const exited = new Promise<number | null>((r) => d.child.on('exit', (code) => r(code)));
    await d.conn.sendNotification('exit');
    assert.is(await exited, 1);
  } finally { d.kill(); }
  const r = cli(['lsp'], process.cwd());
  assert.is(r.status, 2);
  assert.ok(r.stderr.includes('dockeropt lsp: needs --stdio'), r.stderr);
  const h = cli(['lsp', '--help'], process.cwd());
  assert.is(h.status, 0);
  assert.ok(h.stdout.startsWith('Usage: dockeropt lsp --stdio'));
});

life('the server ends when its input closes (the editor went away)', async () => {
  const c = await Client.start();
  try {
    const exited = new Promise<number | null>((r) => c.child.on('exit', (code) => r(code)));
    c.child.stdin!.end();
    assert.is(await exited, 1, 'ended without shutdown');
  } finally { c.kill(); }
});

life.run();
