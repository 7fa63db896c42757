/**
 * Runs replay's files (scripts/replay/file-task.ts) and yields their outcomes in input order.
 */
import type { CatalogRunner } from '../../handlers/core/sweep/catalog-runner';
import type { Detection } from '../../rules/types';
import type { InputFile, ReadOptions } from '../cli/inputs';
import { type FileOutcome, type FileTaskContext, runFile } from './file-task';
import { Prefilter } from './prefilter';
import { RecordScanner } from './scan';

/** The compiled catalog, its prefilter and a record scanner for it. */
export function fileTaskContext(runner: CatalogRunner, catalog: readonly Detection[]): FileTaskContext {
  const prefilter = new Prefilter(catalog);
  return { runner, prefilter, scanner: new RecordScanner(prefilter.keys) };
}

/** The outcome of every file, in the order of `files`. */
export async function* runFiles(
  files: readonly InputFile[],
  context: FileTaskContext,
  options: ReadOptions = {},
): AsyncGenerator<FileOutcome> {
  for (const f of files) yield await runFile(f, context, options);
}
