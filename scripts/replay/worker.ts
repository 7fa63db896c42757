/**
 * A worker thread of `npm run replay` (started by scripts/replay/pool.ts): compiles the catalog it is given once, then
 * reads the files it is sent, one at a time, and posts each file's outcome back (scripts/replay/file-task.ts).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { compileCatalog } from '../../handlers/core/sweep/catalog-runner';
import type { Predicate } from '../../rules/predicates';
import type { Detection } from '../../rules/types';
import type { InputFile } from '../cli/inputs';
import { runFile } from './file-task';
import { fileTaskContext } from './pool';

/** What the pool gives each worker. */
export interface WorkerData {
  readonly catalog: readonly Detection[];
  /** Predicates are code and stay in the main thread; the central rules only need to know their names exist. */
  readonly predicateNames: readonly string[];
}

/** A file to read, and the answer. */
export interface WorkerRequest {
  readonly id: number;
  readonly file: InputFile;
}
export type WorkerResponse =
  | { readonly id: number; readonly outcome: import('./file-task').FileOutcome }
  | { readonly id: number; readonly error: string };

if (parentPort) {
  const port = parentPort;
  const data = workerData as WorkerData;
  const unused: Predicate = () => false;
  const runner = compileCatalog(data.catalog, Object.fromEntries(data.predicateNames.map((n) => [n, unused])));
  const context = fileTaskContext(runner, data.catalog);
  port.on('message', (request: WorkerRequest) => {
    runFile(request.file, context).then(
      (outcome) => port.postMessage({ id: request.id, outcome } satisfies WorkerResponse),
      (error: unknown) =>
        port.postMessage({
          id: request.id,
          error: error instanceof Error ? (error.stack ?? error.message) : String(error),
        } satisfies WorkerResponse),
    );
  });
}
