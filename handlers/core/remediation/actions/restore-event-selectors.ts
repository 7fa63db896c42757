/**
 * restore-event-selectors: after a `PutEventSelectors` that stopped a trail recording every read and write
 * management event, puts the trail's previous selectors back with one `PutEventSelectors` in the trail's home
 * region (the only region that call is accepted in).
 *
 * The previous selectors come from the shared previous-value reader (../previous-value.ts) over the trail's
 * CloudTrail history: the newest successful `PutEventSelectors` before the event (basic or advanced, as its
 * request set them), or the `CreateTrail` that made the trail (a new trail logs every management event: the
 * documented default selector). Safe by construction:
 *   - the trail's current selectors must be exactly what the event set (compared after filling the documented
 *     defaults): if someone changed them since, the action refuses rather than overwrite that change;
 *   - the previous selectors must themselves record every read and write management event (the same judgement
 *     as the detection, `eventSelectorsDropManagementEvents`): restoring a set that was already narrow fixes
 *     nothing;
 *   - never weaken: when the current selectors also log data events (S3 objects, Lambda invocations...), or
 *     network activity events, that the previous ones did not, replacing them would stop that logging, so the
 *     action refuses and a responder merges the two sets;
 *   - unknown history (incomplete, unreadable or truncated record: CloudTrail omits large request parameters)
 *     refuses.
 * Undo puts back the selectors the event had set.
 */
import { eventSelectorsDropManagementEvents } from '../../../../rules/weakening';
import type { CloudTrailEventBridgeEvent } from '../../../../rules/predicates';
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
  refuse,
  refusePlan,
  regionOf,
  requestOf,
  targetOf,
  trailOf,
} from './support';

/** A selector set as the API takes it (PascalCase keys): exactly one of the two kinds. */
export interface SelectorSet {
  readonly EventSelectors?: readonly Json[];
  readonly AdvancedEventSelectors?: readonly Json[];
}

/** The trail's selectors now (GetEventSelectors), and its CloudTrail history up to the event. */
export interface EventSelectorsState {
  /** False when GetEventSelectors answers TrailNotFoundException. */
  readonly exists: boolean;
  readonly trailArn?: string;
  readonly selectors?: SelectorSet;
  /** LookupEvents by ResourceName = the trail ARN, up to the event. */
  readonly history: HistoryPage;
}

const ACTION = 'restore-event-selectors';

/** A new trail's selectors (CloudTrail's documented default: every read and write management event). */
export const DEFAULT_SELECTORS: SelectorSet = {
  EventSelectors: [{ ReadWriteType: 'All', IncludeManagementEvents: true }],
};

/** `readWriteType` → `ReadWriteType`, recursively over objects (values are kept as they are). */
function pascal(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(pascal);
  if (!isObject(value)) return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k.charAt(0).toUpperCase() + k.slice(1), pascal(v)]));
}

/** The selector set a CloudTrail request (camelCase) or an API answer (PascalCase) holds; undefined if none. */
export function selectorSetOf(source: Json): SelectorSet | undefined {
  const p = pascal(source) as Json;
  const basic = p['EventSelectors'];
  const advanced = p['AdvancedEventSelectors'];
  const hasBasic = Array.isArray(basic) && basic.length > 0;
  const hasAdvanced = Array.isArray(advanced) && advanced.length > 0;
  if (hasBasic === hasAdvanced) return undefined;
  return hasBasic ? { EventSelectors: basic as Json[] } : { AdvancedEventSelectors: advanced as Json[] };
}

/** The set with the API's defaults filled in and keys sorted, for comparison. */
function canonical(set: SelectorSet): string {
  const sorted = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(sorted)
      : isObject(v)
        ? Object.fromEntries(
            Object.keys(v)
              .sort()
              .map((k) => [k, sorted(v[k])]),
          )
        : v;
  if (set.EventSelectors) {
    return JSON.stringify(
      sorted({
        EventSelectors: set.EventSelectors.map((s) => ({
          ReadWriteType: s['ReadWriteType'] ?? 'All',
          IncludeManagementEvents: s['IncludeManagementEvents'] ?? true,
          DataResources: s['DataResources'] ?? [],
          ExcludeManagementEventSources: s['ExcludeManagementEventSources'] ?? [],
        })),
      }),
    );
  }
  return JSON.stringify(sorted({ AdvancedEventSelectors: set.AdvancedEventSelectors ?? [] }));
}

const same = (a: SelectorSet, b: SelectorSet): boolean => canonical(a) === canonical(b);

/** Whether the set records every read and write management event (the detection's own judgement). */
function recordsAllManagement(set: SelectorSet): boolean {
  const camel = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(camel)
      : isObject(v)
        ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k.charAt(0).toLowerCase() + k.slice(1), camel(x)]))
        : v;
  const request = {
    ...(set.EventSelectors ? { eventSelectors: camel(set.EventSelectors) } : {}),
    ...(set.AdvancedEventSelectors ? { advancedEventSelectors: camel(set.AdvancedEventSelectors) } : {}),
  };
  const probe = { detail: { requestParameters: request } } as unknown as CloudTrailEventBridgeEvent;
  return !eventSelectorsDropManagementEvents(probe);
}

/** The data and network activity selectors of a set (what replacing it could stop logging), canonical. */
function beyondManagement(set: SelectorSet): string[] {
  if (set.EventSelectors) {
    return set.EventSelectors.flatMap((s) =>
      Array.isArray(s['DataResources']) ? (s['DataResources'] as unknown[]).map((d) => JSON.stringify(d)) : [],
    );
  }
  return (set.AdvancedEventSelectors ?? [])
    .filter((s) =>
      (Array.isArray(s['FieldSelectors']) ? (s['FieldSelectors'] as Json[]) : []).some(
        (f) =>
          f['Field'] === 'eventCategory' &&
          Array.isArray(f['Equals']) &&
          (f['Equals'] as unknown[]).some((e) => e !== 'Management'),
      ),
    )
    .map((s) => canonical({ AdvancedEventSelectors: [{ ...s, Name: undefined }] }));
}

/** What a PutEventSelectors / CreateTrail record says about the trail's selectors. */
const selectorsSetting = (trail: string): Setting<SelectorSet> => ({
  name: `the event selectors of trail ${trail}`,
  eventNames: ['PutEventSelectors', 'CreateTrail'],
  read(record, eventName) {
    if (!succeeded(record)) return { kind: 'unchanged' };
    if (eventName === 'CreateTrail') return { kind: 'set', value: DEFAULT_SELECTORS };
    if (!isObject(record['requestParameters'])) return { kind: 'unreadable', why: 'no request parameters' };
    const set = selectorSetOf(record['requestParameters']);
    return set ? { kind: 'set', value: set } : { kind: 'unreadable', why: 'no selectors in the request' };
  },
});

export const restoreEventSelectors: RemediationActionDef<EventSelectorsState> = {
  id: ACTION,
  title: "Restore a trail's previous event selectors when new ones stopped recording management events",
  iamActions: ['cloudtrail:PutEventSelectors'],
  readIamActions: ['cloudtrail:GetEventSelectors', 'cloudtrail:LookupEvents'],
  undoIamActions: ['cloudtrail:PutEventSelectors'],

  target(event) {
    if (event.detail.eventName !== 'PutEventSelectors') {
      return refuse(`${event.detail.eventName} does not set event selectors`);
    }
    const request = requestOf(event);
    const named = trailOf(event, 'trailName');
    if ('refuse' in named) return named;
    const { trail, arn } = named;
    const set = selectorSetOf(request);
    if (!set) return refuse('the event carries no readable selectors (CloudTrail may have omitted large parameters)');
    return targetOf(ACTION, event, arn?.region || regionOf(event), trail, {
      trail,
      set: set as unknown as Json,
      eventId: eventIdOf(event),
      eventTime: eventTimeOf(event),
    });
  },

  stateReads(target) {
    const trail = detail(target, 'trail');
    const trigger = triggerOf(target);
    return [
      call('cloudtrail', 'GetEventSelectors', { TrailName: trail }, target.region),
      historyLookup(trail, trigger, target.region),
    ];
  },

  plan(target, state) {
    const name = detail(target, 'trail');
    if (!state.exists || !state.selectors) return refusePlan(target, `trail ${name} no longer exists`);
    const trailArn = state.trailArn ?? name;
    const eventSet = target.details['set'] as unknown as SelectorSet;
    const current = state.selectors;
    const trigger = triggerOf(target);
    const previous = previousValue(selectorsSetting(trailArn), trigger, state.history);
    if (previous.kind === 'unknown') {
      return refusePlan(target, `the previous selectors of ${trailArn} are unknown: ${previous.reason}`);
    }
    if (same(current, previous.value)) return compliant(target, `${trailArn} has its previous selectors again`);
    if (!same(current, eventSet)) {
      return refusePlan(
        target,
        `the selectors of ${trailArn} changed again since the event; not overwriting that change`,
      );
    }
    if (!recordsAllManagement(previous.value)) {
      return refusePlan(
        target,
        `the previous selectors of ${trailArn} (${previous.evidence}) did not record every management event either`,
      );
    }
    const kept = new Set(beyondManagement(previous.value));
    const lost = beyondManagement(current).filter((s) => !kept.has(s));
    if (lost.length > 0) {
      return refusePlan(
        target,
        `restoring would stop ${lost.length} data or network activity selector(s) the trail has now: a responder merges the two sets`,
      );
    }
    return act(
      target,
      `restore the previous event selectors of ${trailArn} (${previous.evidence})`,
      [call('cloudtrail', 'PutEventSelectors', { TrailName: trailArn, ...previous.value }, target.region)],
      { trailArn, region: target.region, selectors: current as unknown as Json, evidence: previous.evidence },
    );
  },

  verify(target, stateAfter) {
    const name = stateAfter.trailArn ?? detail(target, 'trail');
    if (!stateAfter.exists || !stateAfter.selectors) return { fixed: false, detail: `${name} is gone` };
    return recordsAllManagement(stateAfter.selectors)
      ? { fixed: true, detail: `${name} records every management event again` }
      : { fixed: false, detail: `${name} still does not record every management event` };
  },

  undo(snapshot) {
    const selectors = (isObject(snapshot['selectors']) ? snapshot['selectors'] : {}) as Json;
    return [
      call(
        'cloudtrail',
        'PutEventSelectors',
        { TrailName: snapshot['trailArn'], ...selectors },
        String(snapshot['region']),
      ),
    ];
  },
};
