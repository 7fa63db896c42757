/**
 * The detection catalog. Each entry is data (see rules/types.ts for the fields); the entries live in
 * rules/catalog/*.ts by area. docs/detections.md is generated from this list
 * (`npx tsx scripts/gen-detection-docs.ts`), and __tests__/rules/catalog.test.ts checks every entry
 * against its fixtures in __tests__/fixtures/events/<id>/.
 */
import { API } from './catalog/api';
import { EXFILTRATION } from './catalog/exfiltration';
import { HEARTBEAT } from './catalog/heartbeat';
import { IAM, ROOT_AND_SIGN_IN } from './catalog/identity';
import { CREDENTIAL_ACCESS } from './catalog/credential-access';
import { IDENTITY_EXTRA } from './catalog/identity-extra';
import { IMPAIRMENT_EXTRA } from './catalog/impairment-extra';
import { NETWORK } from './catalog/network';
import { PERSISTENCE } from './catalog/persistence';
import { CLOUDTRAIL, EVENTBRIDGE, ORGANIZATIONS, SECURITY_SERVICES, VIGIL } from './catalog/pipeline';
import { STORAGE } from './catalog/storage';
import type { Detection } from './types';

export const CATALOG: readonly Detection[] = [
  ...ROOT_AND_SIGN_IN,
  ...IAM,
  ...STORAGE,
  ...NETWORK,
  ...CLOUDTRAIL,
  ...EVENTBRIDGE,
  ...SECURITY_SERVICES,
  ...ORGANIZATIONS,
  ...IDENTITY_EXTRA,
  ...CREDENTIAL_ACCESS,
  ...IMPAIRMENT_EXTRA,
  ...API,
  ...EXFILTRATION,
  ...PERSISTENCE,
  ...VIGIL,
  ...HEARTBEAT,
];
