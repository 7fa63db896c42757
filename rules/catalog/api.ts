/**
 * Cross-service detections about failed calls: bursts of AccessDenied / UnauthorizedOperation from
 * one principal (CIS 4.1), the trace of someone probing what stolen credentials can do.
 */
import type { Detection, EventPattern } from '../types';
import { cisMonitoring } from './shared';

/** CIS 4.1 error codes: `*UnauthorizedOperation` (EC2: `Client.UnauthorizedOperation`) or `AccessDenied*`. */
const DENIED: EventPattern = { errorCode: [{ wildcard: '*UnauthorizedOperation' }, { prefix: 'AccessDenied' }] };

export const API: readonly Detection[] = [
  {
    id: 'api-access-denied-burst',
    title: 'Burst of access-denied API calls from one principal',
    class: 'access',
    severity: 'medium',
    rationale:
      'Many denied calls from one principal in minutes is what enumerating the permissions of stolen credentials ' +
      'looks like; a single denial is usually a misconfigured tool and is not alerted.',
    compliance: { ...cisMonitoring(1), pciDss: ['10.2.1.4'], soc2: ['CC7.2'], mitre: ['T1580', 'T1087.004'] },
    // Every service, read-only calls included (most enumeration is reads).
    forward: { kind: 'pattern', key: 'access-denied', pattern: { detail: DENIED } },
    pattern: {
      detail: {
        ...DENIED,
        // CIS v1.5+ exclusions: log delivery probing bucket ACLs, and HeadBucket existence checks.
        sourceIPAddress: [{ 'anything-but': 'delivery.logs.amazonaws.com' }],
        eventName: [{ 'anything-but': 'HeadBucket' }],
      },
    },
    readOnlyEvents: true,
    aboutFailures: true,
    aggregate: { windowSeconds: 300, threshold: 10, groupBy: ['account', 'detail.userIdentity.arn'] },
  },
];
