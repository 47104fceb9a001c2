/**
 * `dockeropt lsp --stdio`: a Language Server Protocol server (vscode-languageserver) that shows each
 * document's pending rewrites and refusals as diagnostics and offers the rewrites as code actions
 * (see analyse.ts, diagnostics.ts, actions.ts; the editor setup is in docs/editors.md).
 *
 * A document is analysed when it is opened, and again `debounce` ms after its last change; a newer
 * version cancels a run still going (it stops at its next turn and publishes nothing), and a code
 * action request waits for the analysis of the version it is about. Anything that goes wrong with one
 * document is reported on that document; the server goes on. `exit` after `shutdown` ends the process
 * with 0 (without `shutdown`: 1, as the protocol says).
 */
import { fileURLToPath } from 'node:url';
import {
  createConnection, DiagnosticSeverity, DidChangeWatchedFilesNotification, MessageType, ShowMessageNotification, TextDocuments, TextDocumentSyncKind,
  type CancellationToken, type Connection, type InitializeResult,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { version, type Io } from '../cli.js';
import { UsageError } from '../errors.js';
import { transforms } from '../../transforms/index.js';
import { ACTION_KINDS, codeActions } from './actions.js';
import { analyse, Cancelled, newAnalysisCache, type Analysis } from './analyse.js';
import { diagnosticsOf, SOURCE } from './diagnostics.js';
import { DEFAULT_SETTINGS, parseSettings, type LspSettings } from './settings.js';

export const LSP_HELP = `Usage: dockeropt lsp --stdio

A Language Server Protocol server on stdin/stdout: each open Dockerfile's pending rewrites and refusals
as diagnostics, the rewrites as quick fixes, "source.fixAll.dockeropt" for all build-only changes, and
"# dockeropt ignore=<id>" as a code action. Config files, .dockeroptignore, build contexts and pragmas
apply as on the command line. Settings (section "dockeropt"): runtime, only, skip, options, debounce.
Editor setup: docs/editors.md.
`;

/** The `lsp` subcommand. Resolves only for usage errors and --help: the server ends the process itself. */
export async function lspMain(argv: readonly string[], io: Io): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) { io.stdout.write(LSP_HELP); return 0; }
  // editors' clients may add --clientProcessId (the library watches that process)
  const other = argv.filter((a, i) => a !== '--stdio' && !a.startsWith('--clientProcessId') && argv[i - 1] !== '--clientProcessId');
  if (!argv.includes('--stdio') || other.length) {
    io.stderr.write(`dockeropt lsp: ${other.length ? `unknown argument ${other[0]}` : 'needs --stdio (the only transport)'}\nUsage: dockeropt lsp --stdio\n`);
    return 2;
  }
  // stdout carries the protocol: nothing else may write there
  for (const k of ['log', 'info', 'warn', 'debug'] as const) console[k] = (...args: unknown[]) => { process.stderr.write(`${args.map(String).join(' ')}\n`); };
  process.on('unhandledRejection', (e) => { process.stderr.write(`dockeropt lsp: ${(e as Error)?.stack ?? String(e)}\n`); });
  startServer(process.stdin, process.stdout);
  return new Promise<number>(() => { /* the connection exits the process (0 after shutdown) */ });
}

interface DocState {
  timer?: NodeJS.Timeout | undefined;
  controller?: AbortController | undefined;
  analysis?: Analysis;
  /** Settings generation the analysis was made with. */
  generation?: number;
  running?: { version: number; generation: number; controller: AbortController; promise: Promise<Analysis | null> } | undefined;
}

export function startServer(input: NodeJS.ReadableStream, output: NodeJS.WritableStream): Connection {
  const connection = createConnection(input, output);
  const documents = new TextDocuments(TextDocument);
  const states = new Map<string, DocState>();
  let cache = newAnalysisCache();
  let settings: LspSettings = { ...DEFAULT_SETTINGS };
  let generation = 0;
  let folders: string[] = [];
  const caps = { configuration: false, documentChanges: false, watchFiles: false, folders: false };
  let initError: string | null = null;

  const stateOf = (uri: string): DocState => {
    let s = states.get(uri);
    if (!s) states.set(uri, (s = {}));
    return s;
  };
  const pathOf = (uri: string): string | null => {
    if (!uri.startsWith('file:')) return null;
    try { return fileURLToPath(uri); } catch { return null; }
  };
  const describe = (e: unknown) => (e instanceof UsageError ? `${e.message}${e.hint ? ` (${e.hint})` : ''}` : (e as Error)?.message ?? String(e));

  /** Analyses the document's current version (or joins the run already doing it) and publishes. */
  const run = (uri: string): Promise<Analysis | null> => {
    const doc = documents.get(uri);
    if (!doc) return Promise.resolve(null);
    const st = stateOf(uri);
    if (st.analysis?.version === doc.version && st.generation === generation) return Promise.resolve(st.analysis);
    if (st.running && st.running.version === doc.version && st.running.generation === generation) return st.running.promise;
    st.controller?.abort();
    const controller = new AbortController();
    st.controller = controller;
    const gen = generation;
    const promise = (async (): Promise<Analysis | null> => {
      try {
        const a = await analyse({
          text: doc.getText(), version: doc.version, path: pathOf(uri), folders, settings, transforms, cache, signal: controller.signal,
        });
        if (controller.signal.aborted || documents.get(uri)?.version !== a.version || gen !== generation) return null;
        st.analysis = a;
        st.generation = gen;
        void connection.sendDiagnostics({ uri, version: a.version, diagnostics: diagnosticsOf(a, doc) });
        return a;
      } catch (e) {
        if (e instanceof Cancelled || controller.signal.aborted) return null;
        // a bug: said on this document, and the server goes on
        connection.console.error(`dockeropt: ${uri}: ${(e as Error)?.stack ?? String(e)}`);
        void connection.sendDiagnostics({
          uri, version: doc.version,
          diagnostics: [{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, severity: DiagnosticSeverity.Error, source: SOURCE, message: `dockeropt could not process this file: internal error: ${describe(e)}` }],
        });
        return null;
      } finally {
        if (st.running?.controller === controller) st.running = undefined;
      }
    })();
    st.running = { version: doc.version, generation: gen, controller, promise };
    return promise;
  };

  const schedule = (uri: string, delay: number) => {
    const st = stateOf(uri);
    if (st.timer) clearTimeout(st.timer);
    st.controller?.abort(); // a run of an older version stops at its next turn
    st.timer = setTimeout(() => { st.timer = undefined; void run(uri); }, delay);
  };

  /** The analysis of the document's current version, made now if it is still waiting for its debounce. */
  const current = async (uri: string, token: CancellationToken): Promise<Analysis | null> => {
    for (let tries = 0; tries < 10 && !token.isCancellationRequested; tries++) {
      const doc = documents.get(uri);
      if (!doc) return null;
      const st = stateOf(uri);
      if (st.analysis?.version === doc.version && st.generation === generation) return st.analysis;
      if (st.timer) { clearTimeout(st.timer); st.timer = undefined; }
      const a = await run(uri);
      if (a) return a;
    }
    return null;
  };

  /** A message for the user (a notification: nothing to answer). */
  const showError = (message: string) => { void connection.sendNotification(ShowMessageNotification.type, { type: MessageType.Error, message }); };

  const reanalyseAll = () => { for (const d of documents.all()) schedule(d.uri, 0); };

  const applySettings = (raw: unknown): boolean => {
    try {
      settings = parseSettings(raw, transforms);
    } catch (e) {
      showError(`dockeropt: ${describe(e)}; the previous settings stay in force`);
      return false;
    }
    generation++;
    cache = newAnalysisCache();
    reanalyseAll();
    return true;
  };

  const pullSettings = async () => {
    if (!caps.configuration) return;
    try {
      const got: unknown = await connection.workspace.getConfiguration({ section: 'dockeropt' });
      // an editor with nothing set for this section answers null or {}: initializationOptions stay
      if (!isEmpty(got)) applySettings(got);
    } catch (e) {
      connection.console.error(`dockeropt: cannot read the settings: ${describe(e)}`);
    }
  };

  connection.onInitialize((params): InitializeResult => {
    const ws = params.workspaceFolders?.map((f) => f.uri) ?? (params.rootUri ? [params.rootUri] : []);
    folders = ws.map(pathOf).filter((p): p is string => p !== null);
    const c = params.capabilities;
    caps.configuration = Boolean(c.workspace?.configuration);
    caps.documentChanges = Boolean(c.workspace?.workspaceEdit?.documentChanges);
    caps.watchFiles = Boolean(c.workspace?.didChangeWatchedFiles?.dynamicRegistration);
    caps.folders = Boolean(c.workspace?.workspaceFolders);
    try {
      settings = parseSettings(params.initializationOptions ?? null, transforms);
    } catch (e) {
      initError = describe(e);
    }
    return {
      capabilities: {
        textDocumentSync: TextDocumentSyncKind.Incremental,
        codeActionProvider: { codeActionKinds: ACTION_KINDS },
        workspace: { workspaceFolders: { supported: true, changeNotifications: true } },
      },
      serverInfo: { name: 'dockeropt', version: version() },
    };
  });

  connection.onInitialized(() => {
    if (initError) showError(`dockeropt: ${initError}; using the default settings`);
    if (caps.watchFiles) {
      // config files, ignore files and compose files change what a Dockerfile's run does
      void connection.client.register(DidChangeWatchedFilesNotification.type, {
        watchers: [{ globPattern: '**/{.dockeroptrc.json,dockeropt.config.json,package.json,.dockeroptignore,.dockerignore,*.dockerignore,compose*.y*ml,docker-compose*.y*ml}' }],
      }).catch(() => { /* the client said no: analyses still read the disk afresh on every change */ });
    }
    if (caps.folders) connection.workspace.onDidChangeWorkspaceFolders((e) => {
      const gone = new Set(e.removed.map((f) => pathOf(f.uri)));
      folders = [...folders.filter((f) => !gone.has(f)), ...e.added.map((f) => pathOf(f.uri)).filter((p): p is string => p !== null)];
      generation++;
      reanalyseAll();
    });
    void pullSettings();
  });

  connection.onDidChangeConfiguration((p) => {
    const raw = p.settings as unknown;
    // pull-model clients send null; some send {} when nothing is configured for this server
    if (!isEmpty(raw)) applySettings(raw);
    else void pullSettings();
  });

  connection.onDidChangeWatchedFiles(() => {
    generation++;
    cache = newAnalysisCache();
    reanalyseAll();
  });

  documents.onDidChangeContent((e) => {
    const st = states.get(e.document.uri);
    // a newly opened document at once, a changed one after the debounce
    schedule(e.document.uri, st?.analysis || st?.running ? settings.debounce : 0);
  });

  documents.onDidClose((e) => {
    const st = states.get(e.document.uri);
    if (st?.timer) clearTimeout(st.timer);
    st?.controller?.abort();
    states.delete(e.document.uri);
    void connection.sendDiagnostics({ uri: e.document.uri, diagnostics: [] });
  });

  connection.onCodeAction(async (params, token) => {
    const uri = params.textDocument.uri;
    try {
      const a = await current(uri, token);
      const doc = documents.get(uri);
      if (!a || !doc || doc.version !== a.version || token.isCancellationRequested) return [];
      return await codeActions(a, doc, params, {
        documentChanges: caps.documentChanges,
        stale: () => token.isCancellationRequested || documents.get(uri)?.version !== a.version,
      });
    } catch (e) {
      connection.console.error(`dockeropt: code actions for ${uri}: ${(e as Error)?.stack ?? String(e)}`);
      return [];
    }
  });

  connection.onShutdown(() => {
    for (const st of states.values()) {
      if (st.timer) clearTimeout(st.timer);
      st.controller?.abort();
    }
  });

  documents.listen(connection);
  connection.listen();
  return connection;
}

const isEmpty = (v: unknown) => v === null || v === undefined || (typeof v === 'object' && !Array.isArray(v) && Object.keys(v as object).length === 0);
