/** Runs a builder command: captured output (the tail, bounded), a timeout that kills the whole process group. */
import { spawn } from 'node:child_process';

export interface ExecResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** stdout and stderr interleaved as they came (bounded to the last `maxLog` bytes). */
  log: string;
  timedOut: boolean;
  /** The command could not be started (ENOENT: not installed). */
  spawnError?: string;
  seconds: number;
}

export interface ExecOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  timeoutMs?: number;
  /** Bytes of the combined log kept (the tail). Default 1 MB. */
  maxLog?: number;
  signal?: AbortSignal;
}

const live = new Set<number>();
let exitHook = false;

export function exec(cmd: string, args: readonly string[], o: ExecOptions = {}): Promise<ExecResult> {
  const max = o.maxLog ?? 1 << 20;
  const started = performance.now();
  if (!exitHook) {
    exitHook = true;
    // builds this process started die with it (Ctrl-C, a test that fails): by their own group id
    process.on('exit', () => { for (const pid of live) try { process.kill(-pid, 'SIGKILL'); } catch { /* gone */ } });
  }
  return new Promise((resolve) => {
    let stdout = '', stderr = '', log = '';
    let timedOut = false;
    let child: ReturnType<typeof spawn>;
    try {
      child = spawn(cmd, [...args], { env: o.env ?? process.env, cwd: o.cwd, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (e) {
      // spawn throws (instead of emitting 'error') for some errno values, e.g. ELOOP in a PATH entry
      const code = (e as NodeJS.ErrnoException).code ?? String(e);
      resolve({ code: null, stdout: '', stderr: `${cmd}: ${code}`, log: `${cmd}: ${code}`, timedOut: false, spawnError: code, seconds: 0 });
      return;
    }
    const pid = child.pid;
    if (pid) live.add(pid);
    const keep = (s: string, add: string) => { const t = s + add; return t.length > max ? t.slice(t.length - max) : t; };
    child.stdout!.setEncoding('utf8');
    child.stderr!.setEncoding('utf8');
    child.stdout!.on('data', (d: string) => { stdout = keep(stdout, d); log = keep(log, d); });
    child.stderr!.on('data', (d: string) => { stderr = keep(stderr, d); log = keep(log, d); });
    const kill = () => {
      if (!pid) return;
      try { process.kill(-pid, 'SIGTERM'); } catch { /* gone */ }
      setTimeout(() => { try { process.kill(-pid, 'SIGKILL'); } catch { /* gone */ } }, 5000).unref();
    };
    const timer = o.timeoutMs ? setTimeout(() => { timedOut = true; kill(); }, o.timeoutMs) : null;
    const onAbort = () => kill();
    o.signal?.addEventListener('abort', onAbort, { once: true });
    let spawnError: string | undefined;
    child.on('error', (e) => { spawnError = (e as NodeJS.ErrnoException).code ?? e.message; });
    child.on('close', (code) => {
      if (timer) clearTimeout(timer);
      o.signal?.removeEventListener('abort', onAbort);
      if (pid) live.delete(pid);
      resolve({ code, stdout, stderr, log, timedOut, ...(spawnError ? { spawnError } : {}), seconds: (performance.now() - started) / 1000 });
    });
  });
}
