/**
 * recreate-config-recorder-or-channel: after `DeleteConfigurationRecorder` or `DeleteDeliveryChannel`, puts the
 * recorder (`PutConfigurationRecorder`, then `StartConfigurationRecorder` when it was recording) or the delivery
 * channel (`PutDeliveryChannel`) back with its previous definition, in the event's region.
 *
 * AWS Config keeps nothing of a deleted recorder or channel, and CloudTrail's records of Config calls name no
 * resource, so the state read asks CloudTrail event history by event name (the account and region's Put / Delete
 * calls, and Start / Stop for a recorder), from 90 days before the deletion up to now, and the shared
 * previous-value reader (../previous-value.ts) takes:
 *   - the definition: the newest successful `PutConfigurationRecorder` / `PutDeliveryChannel` of that name before
 *     the deletion (a Put without a name is Config's `default`). Its request holds the whole definition
 *     (`configurationRecorder: { name, roleARN, recordingGroup, recordingMode }`, `deliveryChannel: { name,
 *     s3BucketName, s3KeyPrefix, s3KmsKeyArn, snsTopicARN, configSnapshotDeliveryProperties }`), the same shape
 *     the API takes back;
 *   - for a recorder, whether it was recording: the newest successful Start / Stop of it before the deletion
 *     (a Stop in the same second as the deletion preceded it: a Stop after it would have failed). It is started
 *     again only if it was.
 * Safe by construction, the action refuses:
 *   - when history cannot tell (unreadable or truncated record, nothing found, history cut short by the page
 *     cap), or calls on that name in the same second as the deletion leave the order unknown;
 *   - when the deletion is not the newest change of that name (a later Put, Delete, Start or Stop): the newer
 *     event is the one to act on;
 *   - when a recorder or channel of that name exists again: compliant if it has the previous definition, refused
 *     if not (someone made a new one; not overwritten);
 *   - for a recorder whose role is not the account's Config service-linked role: passing a custom role
 *     would need `iam:PassRole` on arbitrary roles, which is privilege escalation. The remediation role may pass
 *     only `AWSServiceRoleForConfig`, only to Config (constructs/remediation-roles.ts);
 *   - for a channel while no recorder exists (Config accepts a channel only next to a recorder).
 * A recorder that was recording is recreated but not started when no delivery channel exists (Config starts a
 * recorder only with one): the channel's own deletion is remediated separately; a responder starts it after.
 * Tags of the recorder are not restored (CloudTrail records them in a separate call).
 *
 * Undo deletes what was recreated (stopping the recorder first when the action started it). Undo works from the
 * audit snapshot alone and cannot re-check that the recorder or channel is still the one the action created; an
 * approver sees the snapshot's definition before confirming.
 */
import { historyByEventName, mergeHistory, previousValue, type Setting, succeeded, triggerOf } from '../previous-value';
import type { PlannedCall, RemediationActionDef, RemediationTarget } from '../types';
import {
  act,
  call,
  compliant,
  detail,
  eventIdOf,
  eventTimeOf,
  type HistoryPage,
  historyRecord,
  isObject,
  type Json,
  refuse,
  refusePlan,
  regionOf,
  requestOf,
  str,
  targetOf,
  timeOf,
} from './support';

/** What was deleted. */
export type ConfigKind = 'recorder' | 'channel';

/** The recorder or channel now, what the other half of Config looks like, and the region's history of it. */
export interface ConfigDefinitionState {
  /**
   * The recorder (DescribeConfigurationRecorders) or channel (DescribeDeliveryChannels) of that name now, as the
   * API returns it; absent when there is none (NoSuchConfigurationRecorderException / NoSuchDeliveryChannelException).
   */
  readonly current?: Json;
  /** Recorder only: DescribeConfigurationRecorderStatus `recording`. */
  readonly recording?: boolean;
  /** Recorder: a delivery channel exists in the region. Channel: a configuration recorder exists in the region. */
  readonly counterpartExists: boolean;
  /** The Put / Delete (and Start / Stop) events of the account and region (LookupEvents by event name), merged. */
  readonly history: HistoryPage;
}

const ACTION = 'recreate-config-recorder-or-channel';
/** Config's name for a recorder or channel created without one. */
const DEFAULT_NAME = 'default';

interface KindSpec {
  readonly noun: string;
  readonly deleteEvent: string;
  readonly putEvent: string;
  /** requestParameters field naming the resource in Delete (and Start / Stop) records. */
  readonly nameField: string;
  /** requestParameters field of the Put record holding the definition. */
  readonly bodyField: string;
  /** Fields of the definition the Put takes back. */
  readonly fields: readonly string[];
  /** Events that change the resource (the Put and Delete, and Start / Stop for a recorder). */
  readonly changes: readonly string[];
}

const KINDS: Readonly<Record<ConfigKind, KindSpec>> = {
  recorder: {
    noun: 'configuration recorder',
    deleteEvent: 'DeleteConfigurationRecorder',
    putEvent: 'PutConfigurationRecorder',
    nameField: 'configurationRecorderName',
    bodyField: 'configurationRecorder',
    fields: ['name', 'roleARN', 'recordingGroup', 'recordingMode'],
    changes: [
      'PutConfigurationRecorder',
      'DeleteConfigurationRecorder',
      'StartConfigurationRecorder',
      'StopConfigurationRecorder',
    ],
  },
  channel: {
    noun: 'delivery channel',
    deleteEvent: 'DeleteDeliveryChannel',
    putEvent: 'PutDeliveryChannel',
    nameField: 'deliveryChannelName',
    bodyField: 'deliveryChannel',
    fields: ['name', 's3BucketName', 's3KeyPrefix', 's3KmsKeyArn', 'snsTopicARN', 'configSnapshotDeliveryProperties'],
    changes: ['PutDeliveryChannel', 'DeleteDeliveryChannel'],
  },
};

const kindOf = (target: RemediationTarget): ConfigKind =>
  detail(target, 'kind') === 'channel' ? 'channel' : 'recorder';

/** The account's AWS Config service-linked role: the only recorder role the action passes. */
export const configServiceLinkedRole = (accountId: string): string =>
  `arn:aws:iam::${accountId}:role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig`;

/** A boolean as CloudTrail may record it (`true`, `"true"`). */
const bool = (v: unknown): boolean | undefined =>
  typeof v === 'boolean' ? v : v === 'true' || v === 'false' ? v === 'true' : undefined;
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.map(String).sort() : []);

/** The definition's fields the Put takes (the name filled in), from a CloudTrail request body or an API answer. */
export function definitionOf(kind: ConfigKind, body: Json): Json {
  const picked: Json = { name: str(body['name']) ?? DEFAULT_NAME };
  for (const f of KINDS[kind].fields) {
    if (f !== 'name' && body[f] !== undefined && body[f] !== null) picked[f] = body[f];
  }
  return picked;
}

/** The definition with Config's documented defaults filled in, order-free, for comparison. */
export function canonicalDefinition(kind: ConfigKind, d: Json): string {
  if (kind === 'channel') {
    const props = isObject(d['configSnapshotDeliveryProperties']) ? d['configSnapshotDeliveryProperties'] : {};
    return JSON.stringify([
      str(d['name']) ?? DEFAULT_NAME,
      str(d['s3BucketName']) ?? '',
      str(d['s3KeyPrefix']) ?? '',
      str(d['s3KmsKeyArn']) ?? '',
      str(d['snsTopicARN']) ?? '',
      str(props['deliveryFrequency']) ?? 'TwentyFour_Hours',
    ]);
  }
  const hasGroup = isObject(d['recordingGroup']);
  const group: Json = hasGroup ? (d['recordingGroup'] as Json) : {};
  // Without a recording group Config records every supported type.
  const allSupported = bool(group['allSupported']) ?? !hasGroup;
  const exclusion = strings(
    isObject(group['exclusionByResourceTypes']) ? group['exclusionByResourceTypes']['resourceTypes'] : [],
  );
  const strategy = isObject(group['recordingStrategy']) ? str(group['recordingStrategy']['useOnly']) : undefined;
  const mode: Json = isObject(d['recordingMode']) ? d['recordingMode'] : {};
  const overrides = (Array.isArray(mode['recordingModeOverrides']) ? mode['recordingModeOverrides'] : [])
    .map((o) =>
      isObject(o)
        ? JSON.stringify([str(o['description']) ?? '', str(o['recordingFrequency']) ?? '', strings(o['resourceTypes'])])
        : JSON.stringify(o),
    )
    .sort();
  return JSON.stringify([
    str(d['name']) ?? DEFAULT_NAME,
    str(d['roleARN']) ?? '',
    allSupported,
    bool(group['includeGlobalResourceTypes']) ?? false,
    strings(group['resourceTypes']),
    exclusion,
    strategy ??
      (allSupported
        ? 'ALL_SUPPORTED_RESOURCE_TYPES'
        : exclusion.length > 0
          ? 'EXCLUSION_BY_RESOURCE_TYPES'
          : 'INCLUSION_BY_RESOURCE_TYPES'),
    str(mode['recordingFrequency']) ?? 'CONTINUOUS',
    overrides,
  ]);
}

/** The name a record's request concerns (Put: the body's name, Config's `default` when absent). */
function nameIn(kind: ConfigKind, record: Json, eventName: string): string | undefined {
  const request = record['requestParameters'];
  if (!isObject(request)) return undefined;
  const spec = KINDS[kind];
  if (eventName === spec.putEvent) {
    const body = request[spec.bodyField];
    return isObject(body) ? (str(body['name']) ?? DEFAULT_NAME) : undefined;
  }
  return str(request[spec.nameField]);
}

/** The previous definition: a Put of the name sets it; a Delete of the name leaves none ('deleted'). */
export const definitionSetting = (kind: ConfigKind, name: string): Setting<Json | 'deleted'> => {
  const spec = KINDS[kind];
  return {
    name: `the definition of ${spec.noun} ${name}`,
    eventNames: [spec.putEvent, spec.deleteEvent],
    read(record, eventName) {
      if (!succeeded(record)) return { kind: 'unchanged' };
      const request = record['requestParameters'];
      if (!isObject(request)) return { kind: 'unreadable', why: `${eventName} record without request parameters` };
      if (eventName === spec.putEvent && !isObject(request[spec.bodyField])) {
        return { kind: 'unreadable', why: `${eventName} record without its ${spec.bodyField}` };
      }
      if (nameIn(kind, record, eventName) !== name) return { kind: 'unchanged' };
      if (eventName === spec.deleteEvent) return { kind: 'set', value: 'deleted' };
      return { kind: 'set', value: definitionOf(kind, request[spec.bodyField] as Json) };
    },
  };
};

/** Whether recorder `name` was recording: Start sets it, Stop and Delete clear it (a new recorder is stopped). */
export const recordingSetting = (name: string): Setting<boolean> => ({
  name: `whether configuration recorder ${name} was recording`,
  eventNames: ['StartConfigurationRecorder', 'StopConfigurationRecorder', 'DeleteConfigurationRecorder'],
  read(record, eventName) {
    if (!succeeded(record)) return { kind: 'unchanged' };
    if (!isObject(record['requestParameters'])) {
      return { kind: 'unreadable', why: `${eventName} record without request parameters` };
    }
    if (nameIn('recorder', record, eventName) !== name) return { kind: 'unchanged' };
    return { kind: 'set', value: eventName === 'StartConfigurationRecorder' };
  },
});

/** Successful changes of the name other than the trigger, with their time relative to it. */
function otherChanges(target: RemediationTarget, history: HistoryPage) {
  const kind = kindOf(target);
  const name = detail(target, 'name');
  const trigger = triggerOf(target);
  const at = timeOf(trigger.eventTime);
  return history.events
    .filter((e) => e.eventId !== trigger.eventId && KINDS[kind].changes.includes(e.eventName))
    .map((e) => ({ e, record: historyRecord(e), time: timeOf(e.eventTime) }))
    .filter(
      ({ e, record }) =>
        Object.keys(record).length === 0 || (succeeded(record) && nameIn(kind, record, e.eventName) === name),
    )
    .map(({ e, record, time }) => ({
      evidence: `${e.eventName} ${e.eventId} at ${e.eventTime}`,
      eventName: e.eventName,
      readable: Object.keys(record).length > 0,
      when: time > at ? ('after' as const) : time === at ? ('same' as const) : ('before' as const),
    }));
}

/** Why the history leaves the order around the deletion unknown, or `undefined`. */
function orderProblem(target: RemediationTarget, history: HistoryPage): string | undefined {
  const where = `${KINDS[kindOf(target)].noun} ${detail(target, 'name')}`;
  const changes = otherChanges(target, history);
  const newer = changes.find((c) => c.when === 'after');
  if (newer) {
    return `the deletion is not the newest change of ${where}: ${newer.evidence}${newer.readable ? '' : ' (unreadable record)'} came after it`;
  }
  const same = changes.filter((c) => c.when === 'same');
  // A Start or Stop in the same second succeeded, so it came before the deletion; two of them leave the order unknown.
  const startStop = same.filter((c) => c.readable && /^(Start|Stop)ConfigurationRecorder$/.test(c.eventName));
  if (same.length > startStop.length || startStop.length > 1) {
    return `${same.map((c) => c.evidence).join(', ')} happened in the same second as the deletion of ${where}; their order is unknown`;
  }
  return undefined;
}

/** One millisecond after the trigger: a Start / Stop in the deletion's second came before it (see the file comment). */
const justAfter = (target: RemediationTarget) => {
  const trigger = triggerOf(target);
  const t = timeOf(trigger.eventTime);
  return Number.isNaN(t) ? trigger : { ...trigger, eventTime: new Date(t + 1).toISOString() };
};

/** The history queries, in the order the state reader runs them: 90 days before the deletion up to now. */
export const historyReads = (target: RemediationTarget): PlannedCall[] => {
  const trigger = triggerOf(target);
  return KINDS[kindOf(target)].changes.map((eventName) =>
    historyByEventName(eventName, trigger, target.region, { upToNow: true }),
  );
};

/** The history pages of `historyReads`, merged (complete only when every query was read to its end). */
export const mergeHistories = (pages: readonly HistoryPage[]): HistoryPage =>
  pages.reduce(mergeHistory, { events: [], complete: true });

export const recreateConfigRecorderOrChannel: RemediationActionDef<ConfigDefinitionState> = {
  id: ACTION,
  title: 'Recreate a deleted AWS Config recorder or delivery channel from its previous definition',
  iamActions: ['config:PutConfigurationRecorder', 'config:PutDeliveryChannel', 'config:StartConfigurationRecorder'],
  readIamActions: [
    'config:DescribeConfigurationRecorders',
    'config:DescribeConfigurationRecorderStatus',
    'config:DescribeDeliveryChannels',
    'cloudtrail:LookupEvents',
  ],
  undoIamActions: [
    'config:DeleteConfigurationRecorder',
    'config:DeleteDeliveryChannel',
    'config:StopConfigurationRecorder',
  ],

  target(event) {
    const eventName = event.detail.eventName;
    const kind: ConfigKind | undefined =
      eventName === 'DeleteConfigurationRecorder'
        ? 'recorder'
        : eventName === 'DeleteDeliveryChannel'
          ? 'channel'
          : undefined;
    if (!kind) return refuse(`${eventName} deletes no configuration recorder or delivery channel`);
    if (str((event.detail as unknown as Json)['errorCode'])) return refuse(`the ${eventName} call failed`);
    const name = str(requestOf(event)[KINDS[kind].nameField]);
    if (!name) return refuse(`${eventName} event names no ${KINDS[kind].noun}`);
    return targetOf(ACTION, event, regionOf(event), name, {
      kind,
      name,
      eventId: eventIdOf(event),
      eventTime: eventTimeOf(event),
    });
  },

  stateReads(target) {
    const name = detail(target, 'name');
    const region = target.region;
    const reads =
      kindOf(target) === 'recorder'
        ? [
            call('config', 'DescribeConfigurationRecorders', { ConfigurationRecorderNames: [name] }, region),
            call('config', 'DescribeConfigurationRecorderStatus', { ConfigurationRecorderNames: [name] }, region),
            call('config', 'DescribeDeliveryChannels', {}, region),
          ]
        : [
            call('config', 'DescribeDeliveryChannels', { DeliveryChannelNames: [name] }, region),
            call('config', 'DescribeConfigurationRecorders', {}, region),
          ];
    return [...reads, ...historyReads(target)];
  },

  plan(target, state) {
    const kind = kindOf(target);
    const spec = KINDS[kind];
    const name = detail(target, 'name');
    const where = `${spec.noun} ${name} in ${target.accountId}/${target.region}`;
    const previous = previousValue(definitionSetting(kind, name), triggerOf(target), state.history);

    if (state.current) {
      if (previous.kind === 'known' && previous.value !== 'deleted') {
        return canonicalDefinition(kind, state.current) === canonicalDefinition(kind, previous.value)
          ? compliant(target, `${where} exists again with its previous definition (${previous.evidence})`)
          : refusePlan(target, `${where} exists again with another definition; not overwriting it`);
      }
      return refusePlan(target, `${where} exists again and its previous definition is unknown; not touching it`);
    }
    const order = orderProblem(target, state.history);
    if (order) return refusePlan(target, order);
    if (previous.kind === 'unknown') {
      return refusePlan(target, `the previous definition of ${where} is unknown: ${previous.reason}`);
    }
    if (previous.value === 'deleted') {
      return refusePlan(
        target,
        `${where} had no definition before the event (${previous.evidence} deleted it already)`,
      );
    }
    const definition = previous.value;

    if (kind === 'channel') {
      if (!state.counterpartExists) {
        return refusePlan(
          target,
          `no configuration recorder exists in ${target.accountId}/${target.region}; Config accepts a delivery channel only next to one (recreate the recorder first)`,
        );
      }
      return act(
        target,
        `recreate ${where} from ${previous.evidence}`,
        [call('config', 'PutDeliveryChannel', { DeliveryChannel: definition }, target.region)],
        { kind, name, region: target.region, definition, started: false, evidence: previous.evidence },
      );
    }

    const role = str(definition['roleARN']);
    if (role !== configServiceLinkedRole(target.accountId)) {
      return refusePlan(
        target,
        `${where} used the role ${role ?? '(none)'}, not the account's AWSServiceRoleForConfig: a custom recorder role would have to be passed; passing arbitrary roles is privilege escalation (a responder recreates it)`,
      );
    }
    const recording = previousValue(recordingSetting(name), justAfter(target), state.history);
    if (recording.kind === 'unknown') {
      return refusePlan(target, `whether ${where} was recording is unknown: ${recording.reason}`);
    }
    const start = recording.value && state.counterpartExists;
    const calls = [
      call('config', 'PutConfigurationRecorder', { ConfigurationRecorder: definition }, target.region),
      ...(start
        ? [call('config', 'StartConfigurationRecorder', { ConfigurationRecorderName: name }, target.region)]
        : []),
    ];
    const how = !recording.value
      ? `; it was not recording (${recording.evidence}), so it is not started`
      : start
        ? ` and start it (it was recording: ${recording.evidence})`
        : '; it was recording, but no delivery channel exists in the region to start it with: start it once the channel is back';
    return act(target, `recreate ${where} from ${previous.evidence}${how}`, calls, {
      kind,
      name,
      region: target.region,
      definition,
      started: start,
      evidence: previous.evidence,
    });
  },

  verify(target, stateAfter) {
    const kind = kindOf(target);
    const where = `${KINDS[kind].noun} ${detail(target, 'name')}`;
    if (!stateAfter.current) return { fixed: false, detail: `${where} does not exist` };
    const previous = previousValue(
      definitionSetting(kind, detail(target, 'name')),
      triggerOf(target),
      stateAfter.history,
    );
    if (previous.kind !== 'known' || previous.value === 'deleted') {
      return { fixed: false, detail: `${where} exists, but its previous definition can no longer be read to compare` };
    }
    if (canonicalDefinition(kind, stateAfter.current) !== canonicalDefinition(kind, previous.value)) {
      return { fixed: false, detail: `${where} exists with another definition than its previous one` };
    }
    const recording = kind === 'recorder' ? (stateAfter.recording ? ' and is recording' : ' (not recording)') : '';
    return { fixed: true, detail: `${where} exists with its previous definition${recording}` };
  },

  undo(snapshot) {
    const region = String(snapshot['region']);
    const name = snapshot['name'];
    if (snapshot['kind'] === 'channel') {
      return [call('config', 'DeleteDeliveryChannel', { DeliveryChannelName: name }, region)];
    }
    return [
      ...(snapshot['started'] === true
        ? [call('config', 'StopConfigurationRecorder', { ConfigurationRecorderName: name }, region)]
        : []),
      call('config', 'DeleteConfigurationRecorder', { ConfigurationRecorderName: name }, region),
    ];
  },
};
