/** Bad flags, options or configuration: exit 2, no stack trace. */
export class UsageError extends Error {
  override name = 'UsageError';
  constructor(message: string, readonly hint?: string) { super(message); }
}

/** One file could not be read, parsed or written. Reported; the batch goes on. */
export class FileError extends Error {
  override name = 'FileError';
  constructor(
    message: string,
    readonly file: string,
    readonly opts: { line?: number; hint?: string; cause?: unknown } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
  }
  get line(): number | undefined { return this.opts.line; }
  get hint(): string | undefined { return this.opts.hint; }
}

/** A bug in dockeropt (overlapping edits, output that no longer parses). The file is left unchanged. */
export class InternalError extends Error {
  override name = 'InternalError';
  constructor(message: string, readonly opts: { line?: number; transform?: string; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
  }
}
