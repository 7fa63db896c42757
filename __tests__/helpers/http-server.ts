/**
 * A real HTTP server on 127.0.0.1 (random port) that answers from a script, standing in for Slack
 * or PagerDuty. Each request takes the next scripted response; every request is recorded.
 */
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One scripted answer. */
export interface ScriptedResponse {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  /** A string is sent as is; anything else as JSON. @default '' */
  readonly body?: unknown;
  /** Wait this long before answering. @default 0 */
  readonly delayMs?: number;
  /** Never answer (until the client gives up or the server closes). @default false */
  readonly hang?: boolean;
}

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  /** Time the request arrived (Date.now()). */
  readonly receivedAt: number;
}

export interface ScriptedServer {
  /** Base URL, e.g. `http://127.0.0.1:54321`. */
  readonly url: string;
  readonly requests: RecordedRequest[];
  /** Parsed JSON body of request `i`. */
  json<T = any>(i: number): T;
  close(): Promise<void>;
}

/** Answer when the script is used up: loud, so a test that sends too many requests fails visibly. */
const EXHAUSTED: ScriptedResponse = { status: 599, body: 'script exhausted' };

/** Starts a server that answers with `script`, in order. Close it in `afterEach`. */
export async function startScriptedServer(script: readonly ScriptedResponse[]): Promise<ScriptedServer> {
  const queue = [...script];
  const requests: RecordedRequest[] = [];
  const pending = new Set<NodeJS.Timeout>();

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests.push({
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        receivedAt: Date.now(),
      });
      const next = queue.shift() ?? EXHAUSTED;
      if (next.hang) return;
      const timer = setTimeout(() => {
        pending.delete(timer);
        answer(res, next);
      }, next.delayMs ?? 0);
      pending.add(timer);
      // The client gave up (timeout): drop the answer instead of writing to a closed socket.
      res.on('close', () => {
        clearTimeout(timer);
        pending.delete(timer);
      });
    });
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    json: (i) => JSON.parse(requests[i].body),
    close: async () => {
      for (const t of pending) clearTimeout(t);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function answer(res: ServerResponse, r: ScriptedResponse): void {
  if (res.destroyed) return;
  const body = r.body === undefined ? '' : typeof r.body === 'string' ? r.body : JSON.stringify(r.body);
  res.writeHead(r.status, {
    'content-type': typeof r.body === 'string' ? 'text/plain' : 'application/json',
    ...r.headers,
  });
  res.end(body);
}
