/**
 * The registry client's transport: the subset of `fetch` it uses (method, headers, a string body, an
 * AbortSignal, no redirects followed), over node:http and node:https. Node's own fetch refuses the
 * WHATWG "bad ports" (5060, 5061, 6000, 6665-6669, 10080, …) with "bad port", and a registry may well
 * listen on one of them; a registry client must reach whatever host and port the user configured.
 *
 * Errors look like fetch's, so the client classifies them the same way: a failed request rejects with
 * `TypeError('fetch failed', { cause })` (cause: the system error, e.g. code ECONNREFUSED), a body cut
 * short errors the stream with `TypeError('terminated', { cause })`, and an aborted signal (the request
 * timeout) with the signal's reason (a TimeoutError).
 */
import http from 'node:http';
import https from 'node:https';

const NULL_BODY = new Set([101, 103, 204, 205, 304]);

export const nodeFetch = (async (input: string | URL | Request, init: RequestInit = {}): Promise<Response> => {
  const url = new URL(typeof input === 'string' || input instanceof URL ? input : input.url);
  const mod = url.protocol === 'https:' ? https : url.protocol === 'http:' ? http : null;
  if (!mod) throw new TypeError('fetch failed', { cause: Object.assign(new Error(`unsupported protocol ${url.protocol}`), { code: 'ERR_UNSUPPORTED_PROTOCOL' }) });
  const method = (init.method ?? 'GET').toUpperCase();
  const headers: Record<string, string> = { ...(init.headers as Record<string, string> | undefined) };
  const body = typeof init.body === 'string' ? init.body : null;
  if (body !== null) headers['Content-Length'] = String(Buffer.byteLength(body));
  const signal = init.signal ?? null;
  if (signal?.aborted) throw signal.reason;
  return new Promise<Response>((resolve, reject) => {
    const req = mod.request(url, { method, headers }, (res) => {
      const status = res.statusCode ?? 0;
      const h = new Headers();
      for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) {
        try { h.append(res.rawHeaders[i]!, res.rawHeaders[i + 1]!); } catch { /* a header fetch would not accept either */ }
      }
      let stream: ReadableStream<Uint8Array> | null = null;
      if (method === 'HEAD' || NULL_BODY.has(status)) {
        res.resume();
        signal?.removeEventListener('abort', onAbort);
      } else {
        let settled = false;
        stream = new ReadableStream<Uint8Array>({
          start(c) {
            const fail = (e: unknown) => { if (settled) return; settled = true; signal?.removeEventListener('abort', onAbort); c.error(e); };
            res.on('data', (chunk: Buffer) => { if (!settled) c.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength)); });
            res.on('end', () => { if (settled) return; settled = true; signal?.removeEventListener('abort', onAbort); c.close(); });
            res.on('error', (e) => fail(signal?.aborted ? signal.reason : new TypeError('terminated', { cause: e })));
            res.on('close', () => { if (!res.complete) fail(signal?.aborted ? signal.reason : new TypeError('terminated', { cause: Object.assign(new Error('the connection closed before the answer was complete'), { code: 'ECONNRESET' }) })); });
            abortBody = () => { res.destroy(); fail(signal!.reason); };
          },
          cancel() { settled = true; signal?.removeEventListener('abort', onAbort); res.destroy(); },
        });
      }
      try {
        resolve(new Response(stream, { status, statusText: res.statusMessage ?? '', headers: h }));
      } catch (e) {
        res.destroy();
        reject(new TypeError('fetch failed', { cause: e }));
      }
    });
    let abortBody: (() => void) | null = null;
    function onAbort() {
      if (abortBody) { abortBody(); return; }
      req.destroy();
      reject(signal!.reason);
    }
    signal?.addEventListener('abort', onAbort, { once: true });
    req.on('error', (e) => {
      signal?.removeEventListener('abort', onAbort);
      reject(signal?.aborted ? signal.reason : new TypeError('fetch failed', { cause: e }));
    });
    req.end(body ?? undefined);
  });
}) as typeof fetch;
