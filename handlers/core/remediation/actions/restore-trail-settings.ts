/**
 * restore-trail-settings: after an UpdateTrail that weakened a trail, puts back the previous values of the
 * settings that call changed, with one `UpdateTrail` in the trail's home region:
 *   - `IsMultiRegionTrail`, `IncludeGlobalServiceEvents`, `EnableLogFileValidation` switched off: on again,
 *     when they were on before;
 *   - `KmsKeyId` removed or replaced, `S3BucketName` re-pointed: the previous key / bucket.
 *
 * The previous values come from the shared previous-value reader (../previous-value.ts) over the trail's
 * CloudTrail history (CreateTrail, UpdateTrail; CreateTrail's omitted flags are CloudTrail's defaults). Safe
 * by construction:
 *   - never weakens: a flag is only ever switched on, and a setting the current trail already has at its
 *     previous value is left alone (already compliant, e.g. on redelivery);
 *   - a setting whose previous value is unknown (history incomplete, record unreadable) or which someone
 *     changed again since the event (current value is neither the event's nor the previous one) makes the
 *     whole action refuse, naming the setting: a partial restore of a trail is not a state anyone chose;
 *   - a key named by alias in history cannot be compared with GetTrail's key ARN: refused;
 *   - only trails of the event's account (an organization trail is restored in the account that owns it).
 * UpdateTrail checks the bucket policy and key policy itself; a bucket or key that no longer lets CloudTrail
 * write fails the call, for a human.
 *
 * Undo puts back the values the trail had before the action (the weakened ones).
 */
import { historyLookup, previousValue, type Setting, succeeded, triggerOf } from '../previous-value';
import type { RemediationActionDef } from '../types';
import {
  act,
  call,
  compliant,
  detail,
  eventIdOf,
  eventTimeOf,
  type HistoryPage,
  isObject,
  type Json,
  parseArn,
  refuse,
  refusePlan,
  regionOf,
  requestOf,
  targetOf,
  trailOf,
} from './support';

/** The settings this action restores: CloudTrail record field → UpdateTrail / GetTrail names. */
const FIELDS = {
  isMultiRegionTrail: { input: 'IsMultiRegionTrail', current: 'IsMultiRegionTrail', flag: true, created: false },
  includeGlobalServiceEvents: {
    input: 'IncludeGlobalServiceEvents',
    current: 'IncludeGlobalServiceEvents',
    flag: true,
    created: true,
  },
  enableLogFileValidation: {
    input: 'EnableLogFileValidation',
    current: 'LogFileValidationEnabled',
    flag: true,
    created: false,
  },
  kmsKeyId: { input: 'KmsKeyId', current: 'KmsKeyId', flag: false, created: '' },
  s3BucketName: { input: 'S3BucketName', current: 'S3BucketName', flag: false, created: undefined },
} as const;
type Field = keyof typeof FIELDS;
const FIELD_NAMES = Object.keys(FIELDS) as Field[];

type Value = boolean | string;

/** The trail now (GetTrail), and its CloudTrail history up to the event. */
export interface TrailSettingsState {
  /** False when GetTrail answers TrailNotFoundException. */
  readonly exists: boolean;
  /** GetTrail's `Trail`: `TrailARN`, `HomeRegion`, the flags, `KmsKeyId`, `S3BucketName`. */
  readonly trail?: Readonly<Record<string, unknown>>;
  /** LookupEvents by ResourceName = the trail ARN, up to the UpdateTrail event. */
  readonly history: HistoryPage;
}

const ACTION = 'restore-trail-settings';

/** What an UpdateTrail / CreateTrail record says about `field`. */
const fieldSetting = (field: Field, trail: string): Setting<Value> => ({
  name: `${field} of trail ${trail}`,
  eventNames: ['CreateTrail', 'UpdateTrail'],
  read(record, eventName) {
    if (!succeeded(record)) return { kind: 'unchanged' };
    if (!isObject(record['requestParameters'])) return { kind: 'unreadable', why: 'no request parameters' };
    const v = record['requestParameters'][field];
    if (typeof v === 'boolean' || typeof v === 'string') return { kind: 'set', value: v };
    const created = FIELDS[field].created;
    if (eventName === 'CreateTrail' && created !== undefined) return { kind: 'set', value: created };
    return { kind: 'unchanged' };
  },
});

/** Whether `value` (from history or the event) names the same key or bucket as GetTrail's `current`. */
function same(field: Field, current: unknown, value: Value): boolean | 'alias' {
  if (FIELDS[field].flag) return current === value;
  const now = typeof current === 'string' ? current : '';
  if (field !== 'kmsKeyId' || value === '' || now === '') return now === value;
  if (typeof value !== 'string') return false;
  if (value.startsWith('alias/') || parseArn(value)?.resource.startsWith('alias/')) return 'alias';
  // GetTrail gives the key ARN; history may hold the bare key id.
  return now === value || now.endsWith(`:key/${value}`);
}

/** The weakened settings of an UpdateTrail request. */
function weakened(request: Json): Partial<Record<Field, Value>> {
  const out: Partial<Record<Field, Value>> = {};
  for (const field of FIELD_NAMES) {
    const v = request[field];
    if (FIELDS[field].flag ? v === false : typeof v === 'string') out[field] = v as Value;
  }
  return out;
}

export const restoreTrailSettings: RemediationActionDef<TrailSettingsState> = {
  id: ACTION,
  title: "Restore a trail's multi-region, global events, log-file validation, KMS key and bucket settings",
  iamActions: ['cloudtrail:UpdateTrail'],
  readIamActions: ['cloudtrail:GetTrail', 'cloudtrail:LookupEvents'],
  undoIamActions: ['cloudtrail:UpdateTrail'],

  target(event) {
    if (event.detail.eventName !== 'UpdateTrail') return refuse(`${event.detail.eventName} does not update a trail`);
    const request = requestOf(event);
    const named = trailOf(event, 'name');
    if ('refuse' in named) return named;
    const { trail, arn } = named;
    const changed = weakened(request);
    if (Object.keys(changed).length === 0) {
      return refuse('the UpdateTrail changed none of multi-region, global events, validation, KMS key or bucket');
    }
    return targetOf(ACTION, event, arn?.region || regionOf(event), trail, {
      trail,
      changed,
      eventId: eventIdOf(event),
      eventTime: eventTimeOf(event),
    });
  },

  stateReads(target) {
    const trail = detail(target, 'trail');
    const trigger = triggerOf(target);
    return [
      call('cloudtrail', 'GetTrail', { Name: trail }, target.region),
      historyLookup(trail, trigger, target.region),
    ];
  },

  plan(target, state) {
    const name = detail(target, 'trail');
    if (!state.exists || !state.trail) return refusePlan(target, `trail ${name} no longer exists`);
    const trailArn = String(state.trail['TrailARN'] ?? name);
    if (parseArn(trailArn) && parseArn(trailArn)?.account !== target.accountId) {
      return refusePlan(target, `${trailArn} is owned by another account; restore it there`);
    }
    const homeRegion = String(state.trail['HomeRegion'] ?? target.region);
    const trigger = triggerOf(target);
    const changed = (isObject(target.details['changed']) ? target.details['changed'] : {}) as Partial<
      Record<Field, Value>
    >;
    const restore: Record<string, Value> = {};
    const before: Record<string, Value> = {};
    const evidence: string[] = [];
    const problems: string[] = [];
    for (const field of FIELD_NAMES) {
      if (!(field in changed)) continue;
      const spec = FIELDS[field];
      const current = state.trail[spec.current];
      const previous = previousValue(fieldSetting(field, trailArn), trigger, state.history);
      if (previous.kind === 'unknown') {
        problems.push(`previous ${field} unknown: ${previous.reason}`);
        continue;
      }
      if (spec.flag) {
        // Never weaken: a flag that is on stays on; one that was off before has nothing to restore.
        if (current === true || previous.value !== true) continue;
      } else {
        const matches = same(field, current, previous.value);
        if (matches === 'alias') {
          problems.push(
            `previous ${field} ${String(previous.value)} is an alias; cannot compare it with ${String(current)}`,
          );
          continue;
        }
        // Already the previous value; or there was no key before (encryption added is not a weakening).
        if (matches || previous.value === '') continue;
        if (same(field, current, changed[field] as Value) !== true) {
          problems.push(`${field} changed since the event (now ${String(current)})`);
          continue;
        }
      }
      restore[spec.input] = previous.value;
      before[spec.input] = spec.flag ? current === true : typeof current === 'string' ? current : '';
      evidence.push(`${spec.input}=${String(previous.value)} (${previous.evidence})`);
    }
    if (problems.length > 0) return refusePlan(target, `will not restore ${trailArn}: ${problems.join('; ')}`);
    if (Object.keys(restore).length === 0) {
      return compliant(target, `${trailArn} has its previous settings (or stronger ones)`);
    }
    return act(
      target,
      `restore ${evidence.join(', ')} on ${trailArn} in ${homeRegion}`,
      [call('cloudtrail', 'UpdateTrail', { Name: trailArn, ...restore }, homeRegion)],
      { trailArn, region: homeRegion, restored: restore, before },
    );
  },

  verify(target, stateAfter) {
    const name = detail(target, 'trail');
    if (!stateAfter.exists || !stateAfter.trail) return { fixed: false, detail: `trail ${name} is gone` };
    const plan = restoreTrailSettings.plan(target, stateAfter);
    return plan.kind === 'already-compliant'
      ? { fixed: true, detail: plan.reason }
      : { fixed: false, detail: plan.kind === 'act' ? `still to do: ${plan.summary}` : plan.reason };
  },

  undo(snapshot) {
    const before = isObject(snapshot['before']) ? snapshot['before'] : {};
    return [call('cloudtrail', 'UpdateTrail', { Name: snapshot['trailArn'], ...before }, String(snapshot['region']))];
  },
};
