/**
 * restore-account-public-access-block: after PutAccountPublicAccessBlock switched a flag off, or
 * DeleteAccountPublicAccessBlock removed the account-level configuration, puts it back with the S3
 * Control API (`PutPublicAccessBlock { AccountId, ... }`).
 *
 * Same rules as the bucket action: current OR baseline, never a flag switched off; the previous
 * configuration (or none) is the snapshot. The account-level setting is global; the call goes to the
 * S3 Control endpoint of the region the event was recorded in. Where an AWS Organizations S3 policy
 * enforces Block Public Access, the account-level API is denied and the failure surfaces for a human.
 */
import type { RemediationActionDef } from '../types';
import {
  accountOf,
  act,
  baselineOf,
  call,
  compliant,
  FULL_BLOCK,
  flagsOf,
  isObject,
  mergeBaseline,
  missingFlags,
  type PublicAccessBlockState,
  refuse,
  regionOf,
  requestOf,
  str,
  targetOf,
} from './support';

const ACTION = 'restore-account-public-access-block';
const EVENTS = ['PutAccountPublicAccessBlock', 'DeleteAccountPublicAccessBlock'];

export const restoreAccountPublicAccessBlock: RemediationActionDef<PublicAccessBlockState> = {
  id: ACTION,
  title: 'Restore the account-level S3 Block Public Access settings',
  // S3 Control Put/DeletePublicAccessBlock need s3:PutAccountPublicAccessBlock, Get needs
  // s3:GetAccountPublicAccessBlock (S3 Control API reference): not s3control:*.
  iamActions: ['s3:PutAccountPublicAccessBlock'],
  readIamActions: ['s3:GetAccountPublicAccessBlock'],
  undoIamActions: ['s3:PutAccountPublicAccessBlock'],

  target(event, ctx) {
    if (!EVENTS.includes(event.detail.eventName)) {
      return refuse(`${event.detail.eventName} does not change the account's public access block`);
    }
    const accountId = accountOf(event);
    // S3 Control names the account in the request (x-amz-account-id); a mismatch is not ours to fix.
    const named = str(requestOf(event)['x-amz-account-id']);
    if (named !== undefined && named !== accountId) {
      return refuse(`the event changed account ${named}'s public access block, not ${accountId}'s`);
    }
    return targetOf(ACTION, event, regionOf(event), accountId, {
      baseline: { ...(ctx.publicAccessBlockBaseline ?? FULL_BLOCK) },
    });
  },

  stateReads(target) {
    return [call('s3control', 'GetPublicAccessBlock', { AccountId: target.accountId }, target.region)];
  },

  plan(target, state) {
    const current = flagsOf(state);
    const baseline = baselineOf(target.details);
    const missing = missingFlags(current, baseline);
    if (missing.length === 0) {
      return compliant(target, `account ${target.accountId} already blocks public access as the baseline asks`);
    }
    const desired = mergeBaseline(current, baseline);
    return act(
      target,
      `turn on ${missing.join(', ')} in the account-level public access block of ${target.accountId}`,
      [
        call(
          's3control',
          'PutPublicAccessBlock',
          { AccountId: target.accountId, PublicAccessBlockConfiguration: { ...desired } },
          target.region,
        ),
      ],
      {
        accountId: target.accountId,
        region: target.region,
        previous: state.configuration === 'none' ? 'none' : { ...current },
      },
    );
  },

  verify(target, stateAfter) {
    const missing = missingFlags(flagsOf(stateAfter), baselineOf(target.details));
    return missing.length === 0
      ? { fixed: true, detail: `account ${target.accountId} blocks public access as the baseline asks` }
      : { fixed: false, detail: `account ${target.accountId} still has ${missing.join(', ')} off` };
  },

  undo(snapshot) {
    const accountId = String(snapshot['accountId']);
    const region = String(snapshot['region']);
    const previous = snapshot['previous'];
    if (!isObject(previous)) return [call('s3control', 'DeletePublicAccessBlock', { AccountId: accountId }, region)];
    return [
      call(
        's3control',
        'PutPublicAccessBlock',
        { AccountId: accountId, PublicAccessBlockConfiguration: { ...previous } },
        region,
      ),
    ];
  },
};
