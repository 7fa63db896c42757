/**
 * Runs replay's files (scripts/replay/file-task.ts) and yields their outcomes in input order: in process, or spread
 * over worker threads (scripts/replay/worker.ts) that each read whole files while this thread tallies and triages.
 * Whatever the number of workers, the outcomes and their order are the same, so the output is too.
 */
import { Worker } from 'node:worker_threads';
import { join } from 'node:path';
import type { CatalogRunner } from '../../handlers/core/sweep/catalog-runner';
import type { Detection } from '../../rules/types';
import { type InputFile, type ReadOptions, STDIN } from '../cli/inputs';
import { type FileOutcome, type FileTaskContext, runFile } from './file-task';
import { Prefilter } from './prefilter';
import { RecordScanner } from './scan';
import type { WorkerData, WorkerRequest, WorkerResponse } from './worker';

/** The compiled catalog, its prefilter and a record scanner for it. */
export function fileTaskContext(runner: CatalogRunner, catalog: readonly Detection[]): FileTaskContext {
  const prefilter = new Prefilter(catalog);
  return { runner, prefilter, scanner: new RecordScanner(prefilter.keys) };
}

/** How files are spread. */
export interface PoolOptions {
  /** Worker threads; 1 reads in process. */
  readonly workers: number;
  /** What the workers compile (the same catalog as `context`'s runner). */
  readonly catalog: readonly Detection[];
  readonly predicateNames: readonly string[];
}

/** This thread, as a reader. */
const HERE = 'here';

/** Files read ahead of the one being tallied, per worker: bounds the outcomes held in memory. */
const LOOKAHEAD_PER_WORKER = 4;

let workerCode: string | undefined;

/**
 * Starts a worker. Replay runs from its TypeScript sources (tsx); loading them again in every thread costs seconds
 * (each thread's own transpiler), so the worker is bundled once per process with esbuild (what tsx itself runs on),
 * in memory, and each thread evaluates that bundle.
 */
function startWorker(data: WorkerData): Worker {
  const code = workerScript();
  return code === undefined
    ? new Worker(join(__dirname, 'worker.js'), { workerData: data })
    : new Worker(code, { eval: true, workerData: data, execArgv: [] });
}

/** The worker's bundled code when running from TypeScript; undefined for compiled JavaScript. */
function workerScript(): string | undefined {
  if (!__filename.endsWith('.ts')) return undefined;
  workerCode ??= (require('esbuild') as typeof import('esbuild')).buildSync({
    entryPoints: [join(__dirname, 'worker.ts')],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    write: false,
    logLevel: 'silent',
  }).outputFiles[0]!.text;
  return workerCode;
}

/** The outcome of every file, in the order of `files`. */
export async function* runFiles(
  files: readonly InputFile[],
  context: FileTaskContext,
  pool: PoolOptions,
  options: ReadOptions = {},
): AsyncGenerator<FileOutcome> {
  let workers = Math.min(pool.workers, files.length);
  if (workers > 1 && !files.some((f) => f.location === STDIN)) {
    try {
      workerScript();
    } catch {
      workers = 1; // no bundler here: read in process, same output
    }
  }
  if (workers <= 1 || files.some((f) => f.location === STDIN)) {
    for (const f of files) yield await runFile(f, context, options);
    return;
  }
  const threads: Worker[] = [];
  const done = new Map<number, FileOutcome | Error>();
  let wake: (() => void) | undefined;
  let next = 0;
  let emitted = 0;
  // This thread reads files too (it only tallies and triages between them), so `workers` readers take
  // `workers - 1` threads: one fewer to start and warm up, and the first file is read at once.
  const idle: (Worker | typeof HERE)[] = [];
  const dispatch = () => {
    while (idle.length > 0 && next < files.length && next - emitted < workers * LOOKAHEAD_PER_WORKER) {
      const w = idle.pop()!;
      const id = next++;
      if (w !== HERE) {
        w.postMessage({ id, file: files[id]! } satisfies WorkerRequest);
        continue;
      }
      runFile(files[id]!, context, options)
        .then(
          (outcome) => done.set(id, outcome),
          (error: unknown) => done.set(id, error instanceof Error ? error : new Error(String(error))),
        )
        .finally(() => {
          idle.push(HERE);
          dispatch();
          wake?.();
        });
    }
  };
  try {
    const data: WorkerData = { catalog: pool.catalog, predicateNames: pool.predicateNames };
    for (let i = 1; i < workers; i++) {
      const w = startWorker(data);
      threads.push(w);
      idle.push(w);
      w.on('message', (m: WorkerResponse) => {
        done.set(m.id, 'outcome' in m ? m.outcome : new Error(`replay worker: ${m.error}`));
        idle.push(w);
        dispatch();
        wake?.();
      });
      w.on('error', (error) => {
        // A worker that dies fails the file it held: the run stops with that error.
        done.set(next, error);
        done.set(emitted, error);
        wake?.();
      });
    }
    // Last in, so first out: this thread, warm and ready, takes the first file.
    idle.push(HERE);
    dispatch();
    while (emitted < files.length) {
      while (!done.has(emitted)) await new Promise<void>((resolve) => (wake = resolve));
      const outcome = done.get(emitted)!;
      done.delete(emitted);
      if (outcome instanceof Error) throw outcome;
      emitted++;
      dispatch();
      yield outcome;
    }
  } finally {
    await Promise.all(threads.map((w) => w.terminate()));
  }
}
