/**
 * The live coverage table as a {@link CoverageSource} for `npm run coverage`: the same reads the coverage
 * function makes (handlers/adapters/coverage-store.ts: a paginated Scan of the heartbeat cells, triage's
 * sightings and the cached opt-in regions, and the function's `state` item), with the caller's credentials (the SDK's default chain: AWS_PROFILE, SSO,
 * environment...), in the security account's home region. It needs `dynamodb:Scan` and `dynamodb:GetItem`
 * on `<prefix>-coverage` and `kms:Decrypt` on the security key. Nothing is written.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { makeCoverageStore } from '../../handlers/adapters/coverage-store';
import { storedCoverageInputs } from '../../handlers/core/flows/coverage-ports';
import { CoverageExportError, type CoverageSource } from './export';

/** SDK errors that mean "no usable credentials here", not "the table said no". */
const NO_CREDENTIALS = new Set(['CredentialsProviderError', 'ProviderError', 'TokenProviderError']);

/** A source reading `tableName` in `region`; `client` for tests. */
export function tableSource(
  tableName: string,
  region: string,
  client: DynamoDBClient = new DynamoDBClient({ region }),
): CoverageSource {
  const name = `table ${tableName} (${region})`;
  return {
    name,
    async read() {
      const store = makeCoverageStore(client, tableName);
      try {
        const [cells, record] = await Promise.all([store.cells(), store.load()]);
        // What the coverage function evaluates (sightings and opt-in regions included), so the map matches its alerts.
        return {
          exportedAt: new Date().toISOString(),
          ...storedCoverageInputs(cells, record),
          skipped: [...cells.unreadable],
        };
      } catch (error) {
        const e = error as { name?: string; message?: string };
        if (NO_CREDENTIALS.has(e.name ?? '') || /credential/i.test(e.message ?? '')) {
          throw new CoverageExportError(
            `cannot read the ${name}: no AWS credentials (${e.message ?? e.name}). Sign in to the security account ` +
              '(e.g. AWS_PROFILE=... or aws sso login), or work offline with --file <export.json>.',
            { cause: error },
          );
        }
        throw new CoverageExportError(
          `cannot read the ${name}: ${e.name ?? 'Error'}: ${e.message ?? String(error)}. The caller needs ` +
            `dynamodb:Scan and dynamodb:GetItem on ${tableName} (and kms:Decrypt on the security key); ` +
            '--file <export.json> reads an export instead.',
          { cause: error },
        );
      }
    },
  };
}
