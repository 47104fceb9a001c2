/** What the command line talks to (the process, or a test's buffers) and the exit codes it returns. */

export interface Io {
  stdout: { write(s: string): unknown; isTTY?: boolean };
  stderr: { write(s: string): unknown; isTTY?: boolean };
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Answers for --interactive (default: process.stdin). */
  stdin?: NodeJS.ReadableStream & { isTTY?: boolean };
}

export const EXIT = { ok: 0, pending: 1, error: 2 } as const;
