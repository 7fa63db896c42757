/**
 * The guardrail protection of the findings stream and bucket (issue #15): kept apart from
 * guardrail-scp.ts, which it is part of (see guardrailProtections).
 */
import type { OrgInventory } from '../config/inventory';
import { findingsNames } from '../config/naming';
import type { Protection } from './guardrail-scp';

/** The findings stream and bucket, changed or emptied by no one but the deploy role (`deploy`). */
export function findingsProtection(inv: OrgInventory, deploy: string): Protection {
  return {
    // Exist only when config/alerting.json turns the findings stream on (issue #15); the names are derived.
    sid: 'Findings',
    what: 'the findings stream (deletion, destination, encryption) and the findings bucket (as the trail bucket)',
    actions: [
      'firehose:DeleteDeliveryStream',
      'firehose:UpdateDestination',
      'firehose:StopDeliveryStreamEncryption',
      's3:PutBucket*',
      's3:DeleteBucket*',
      's3:PutLifecycleConfiguration',
      's3:PutEncryptionConfiguration',
      's3:DeleteObject*',
    ],
    resources: [
      `arn:aws:firehose:*:*:deliverystream/${findingsNames(inv).stream}`,
      `arn:aws:s3:::${findingsNames(inv).bucket}`,
      `arn:aws:s3:::${findingsNames(inv).bucket}/*`,
    ],
    exempt: [deploy],
  };
}
