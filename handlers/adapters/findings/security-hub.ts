/**
 * The Security Hub sink of the findings port (handlers/core/findings/ports.ts): new findings with
 * BatchImportFindings (ASFF, at most 100 per call) under the security account's default custom-product
 * ARN; updates with BatchUpdateFindings (workflow status, verification state and a note), one call per
 * update, in order, after the imports of the same batch. Rejected records are returned by their index,
 * transient when Security Hub's error code says throttling, a limit or an internal error.
 */
import type * as SecurityHubSdk from '@aws-sdk/client-securityhub';
import type { BatchImportFindingsCommandInput, BatchUpdateFindingsCommandInput } from '@aws-sdk/client-securityhub';
import { type SecurityHubTarget, toAsff, toAsffUpdate } from '../../core/findings/asff';
import type { FindingRecord } from '../../core/findings/finding';
import type { FindingsSink, SinkRejection } from '../../core/findings/ports';

/** BatchImportFindings takes at most 100 findings per request. */
export const IMPORT_BATCH = 100;

const TRANSIENT_CODE = /throttl|limitexceeded|toomany|internal|serviceunavailable/i;

/** The part of `@aws-sdk/client-securityhub` the sink uses (loaded on first use: see ./port.ts). */
export type SecurityHubModule = Pick<
  typeof SecurityHubSdk,
  'SecurityHubClient' | 'BatchImportFindingsCommand' | 'BatchUpdateFindingsCommand'
>;

export function makeSecurityHubSink(load: () => SecurityHubModule, target: SecurityHubTarget): FindingsSink {
  let loaded: { sdk: SecurityHubModule; client: InstanceType<SecurityHubModule['SecurityHubClient']> } | undefined;
  return {
    name: 'securityhub',
    async send(records: readonly FindingRecord[]): Promise<readonly SinkRejection[]> {
      if (!loaded) {
        const sdk = load();
        loaded = { sdk, client: new sdk.SecurityHubClient({ region: target.region }) };
      }
      const { sdk, client } = loaded;
      const { BatchImportFindingsCommand, BatchUpdateFindingsCommand } = sdk;
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
