/**
 * Where `npm run coverage` reads heartbeats from. Today: a JSON export of the coverage table (offline);
 * the live table will be a second {@link CoverageSource} next to {@link fileSource}, with the same snapshot.
 *
 * Export format (version 1), one JSON object:
 *
 * ```json
 * {
 *   "format": "vigil-coverage-export",
 *   "version": 1,
 *   "exportedAt": "2026-12-04T10:00:00Z",
 *   "heartbeats": [
 *     { "accountId": "110000000001", "region": "eu-west-1", "path": "regional",
 *       "eventTime": "2026-12-04T09:59:00Z", "arrivedAt": "2026-12-04T09:59:41.210Z" }
 *   ],
 *   "previous": { "version": 1, "evaluatedAt": "…", "cells": {}, "pipeline": { … } },
 *   "notDeployed": ["110000000012/*", "110000000004/global"],
 *   "seenAccountIds": ["110000000014"],
 *   "optInRegions": { "110000000011": ["me-south-1"] }
 * }
 * ```
 *
 * Only `format`, `version` and `heartbeats` are required. `heartbeats` holds any number of records per cell
 * (the newest decides the status; all of them within the window feed the latency percentiles). `previous` is
 * the state the coverage function stored after its last run (for transitions); `notDeployed` lists cells
 * (`<accountId>/<region or global>`, or `<accountId>/*` for a whole account) whose heartbeat schedule is not
 * deployed yet; `seenAccountIds` are accounts seen in any event; `optInRegions` are the opt-in regions enabled
 * in each account.
 */
import { readFile } from 'node:fs/promises';
import {
  type CellRef,
  type CoverageState,
  type HeartbeatRecord,
  parseCoverageState,
  parseHeartbeatRecord,
} from '../../handlers/core/coverage';
import { isRecord } from '../../handlers/core/lambda-io';
import { jsonProblem } from '../cli/inputs';

export const EXPORT_FORMAT = 'vigil-coverage-export';
export const EXPORT_VERSION = 1;

/** What one read of the coverage store gives the command. */
export interface CoverageSnapshot {
  /** When the export was taken; the map is computed at that time unless told otherwise. @default - unknown */
  readonly exportedAt?: string;
  readonly heartbeats: readonly HeartbeatRecord[];
  /** @default - none: a first evaluation */
  readonly previous?: CoverageState;
  /** Cells whose heartbeat schedule is not deployed. @default - every cell the inventory forwards from */
  readonly deployed?: (cell: CellRef) => boolean;
  /** @default - none */
  readonly seenAccountIds?: readonly string[];
  /** @default - unknown */
  readonly optInRegions?: Readonly<Record<string, readonly string[]>>;
  /** Records that were skipped, each with where and why (`heartbeats[3]: accountId: expected 12 digits`). */
  readonly skipped: readonly string[];
}

/** Where the heartbeats come from: an export file now, the live table later. */
export interface CoverageSource {
  /** For messages: the file, or later the table. */
  readonly name: string;
  /** @throws CoverageExportError when nothing usable can be read */
  read(): Promise<CoverageSnapshot>;
}

/** The export cannot be used at all (unreadable, not JSON, wrong format). */
export class CoverageExportError extends Error {
  override readonly name = 'CoverageExportError';
}

/** A source reading an export file (`path` as given, for messages; `location` resolved). */
export function fileSource(path: string, location: string = path): CoverageSource {
  return {
    name: path,
    async read() {
      let text: string;
      try {
        text = await readFile(location, 'utf8');
      } catch (error) {
        throw new CoverageExportError(`cannot read ${path} (${(error as Error).message})`, { cause: error });
      }
      return parseCoverageExport(text, path);
    },
  };
}

const CELL = /^(\d{12})\/([a-z0-9-]+|\*)$/;

/**
 * Parses an export. Whole-file problems (not JSON, not an export, wrong version, `heartbeats` missing, a bad
 * `previous`) throw; a bad heartbeat is skipped and listed in `skipped`.
 * @throws CoverageExportError
 */
export function parseCoverageExport(text: string, name: string): CoverageSnapshot {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new CoverageExportError(`${name}: ${jsonProblem(text)}`);
  }
  const fail = (problem: string): never => {
    throw new CoverageExportError(`${name}: ${problem}`);
  };
  if (!isRecord(raw) || raw['format'] !== EXPORT_FORMAT) {
    fail(`not a coverage export (expected an object with "format": "${EXPORT_FORMAT}")`);
  }
  const doc = raw as Record<string, unknown>;
  if (doc['version'] !== EXPORT_VERSION) {
    fail(`export version ${JSON.stringify(doc['version'])} is not supported (expected ${EXPORT_VERSION})`);
  }
  if (!Array.isArray(doc['heartbeats'])) fail('"heartbeats" must be an array of heartbeat records');

  const skipped: string[] = [];
  const heartbeats: HeartbeatRecord[] = [];
  (doc['heartbeats'] as unknown[]).forEach((item, i) => {
    const parsed = parseHeartbeatRecord(item);
    if ('record' in parsed) heartbeats.push(parsed.record);
    else skipped.push(`heartbeats[${i}]: ${parsed.problem}`);
  });

  const exportedAt = doc['exportedAt'];
  if (exportedAt !== undefined && (typeof exportedAt !== 'string' || !Number.isFinite(Date.parse(exportedAt)))) {
    fail('"exportedAt" must be an ISO 8601 time');
  }
  let previous: CoverageState | undefined;
  if (doc['previous'] !== undefined) {
    const parsed = parseCoverageState(doc['previous']);
    if ('problem' in parsed) fail(`"previous": ${parsed.problem}`);
    else previous = parsed.state;
  }
  const notDeployed = stringList(doc['notDeployed'], '"notDeployed"', fail);
  const bad = notDeployed?.find((c) => !CELL.test(c));
  if (bad !== undefined) fail(`"notDeployed": '${bad}' is not <accountId>/<region, global or *>`);
  const seenAccountIds = stringList(doc['seenAccountIds'], '"seenAccountIds"', fail);
  const optInRegions = doc['optInRegions'];
  if (
    optInRegions !== undefined &&
    (!isRecord(optInRegions) ||
      !Object.values(optInRegions).every((v) => Array.isArray(v) && v.every((r) => typeof r === 'string')))
  ) {
    fail('"optInRegions" must map account ids to lists of regions');
  }

  return {
    ...(typeof exportedAt === 'string' ? { exportedAt } : {}),
    heartbeats,
    ...(previous ? { previous } : {}),
    ...(notDeployed && notDeployed.length > 0 ? { deployed: deployedExcept(notDeployed) } : {}),
    ...(seenAccountIds ? { seenAccountIds } : {}),
    ...(optInRegions ? { optInRegions: optInRegions as Record<string, string[]> } : {}),
    skipped,
  };
}

function stringList(value: unknown, what: string, fail: (problem: string) => never): string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) fail(`${what} must be a list of strings`);
  return value as string[];
}

/** `deployed` from a list of undeployed cells (`<account>/<column>` or `<account>/*`). */
function deployedExcept(cells: readonly string[]): (cell: CellRef) => boolean {
  const off = new Set(cells);
  return (c) => !off.has(`${c.accountId}/${c.column}`) && !off.has(`${c.accountId}/*`);
}
