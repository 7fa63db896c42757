/**
 * The Security Hub sink of the findings port (handlers/core/findings/ports.ts): new findings with
 * BatchImportFindings (ASFF, at most 100 per call) under the security account's default custom-product
 * ARN; updates with BatchUpdateFindings (workflow status, verification state and a note), one call per
 * update, in order, after the imports of the same batch. Rejected records are returned by their index,
 * transient when Security Hub's error code says throttling, a limit or an internal error.
 */
import {
  BatchImportFindingsCommand,
  type BatchImportFindingsCommandInput,
  BatchUpdateFindingsCommand,
  type BatchUpdateFindingsCommandInput,
  type SecurityHubClient,
} from '@aws-sdk/client-securityhub';
import { type SecurityHubTarget, toAsff, toAsffUpdate } from '../../core/findings/asff';
import type { FindingRecord } from '../../core/findings/finding';
import type { FindingsSink, SinkRejection } from '../../core/findings/ports';

/** BatchImportFindings takes at most 100 findings per request. */
export const IMPORT_BATCH = 100;

const TRANSIENT_CODE = /throttl|limitexceeded|toomany|internal|serviceunavailable/i;

/** `client` must be of `target`'s region (./port.ts builds it so). */
export function makeSecurityHubSink(client: SecurityHubClient, target: SecurityHubTarget): FindingsSink {
  return {
    name: 'securityhub',
    async send(records: readonly FindingRecord[]): Promise<readonly SinkRejection[]> {
      const rejected: SinkRejection[] = [];
      const imports = records.flatMap((r, index) =>
        r.kind === 'finding' ? [{ index, asff: toAsff(r.finding, target) }] : [],
      );
      for (let start = 0; start < imports.length; start += IMPORT_BATCH) {
        const chunk = imports.slice(start, start + IMPORT_BATCH);
        const input = { Findings: chunk.map((c) => c.asff) } as unknown as BatchImportFindingsCommandInput;
        const out = await client.send(new BatchImportFindingsCommand(input));
        for (const failed of out.FailedFindings ?? []) {
          const at = chunk.find((c) => c.asff.Id === failed.Id);
          if (at) rejected.push(rejection(at.index, failed.ErrorCode, failed.ErrorMessage));
        }
      }
      for (const [index, r] of records.entries()) {
        if (r.kind !== 'update') continue;
        const input = toAsffUpdate(r.update, target) as unknown as BatchUpdateFindingsCommandInput;
        const out = await client.send(new BatchUpdateFindingsCommand(input));
        const failed = out.UnprocessedFindings?.[0];
        if (failed) rejected.push(rejection(index, failed.ErrorCode, failed.ErrorMessage));
      }
      return rejected;
    },
  };
}

function rejection(index: number, code: string | undefined, message: string | undefined): SinkRejection {
  return {
    index,
    transient: TRANSIENT_CODE.test(code ?? ''),
    error: `Security Hub rejected the record: ${code ?? 'unknown'} ${message ?? ''}`.trim(),
  };
}
