/**
 * Pure derivations from the catalog: what member accounts forward and what the central bus routes.
 * Shared by the stacks (what to deploy), the handlers and the tests (catalog invariants).
 */
import { API_CALL, type Detection, type EventPattern } from './types';

/** EventBridge limit on the size of one event pattern (characters). */
export const MAX_PATTERN_LENGTH = 2048;

/** Rule state that also delivers read-only management events (and failed read-only calls). */
export const STATE_ALL_MANAGEMENT = 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS';
export type RuleState = 'ENABLED' | typeof STATE_ALL_MANAGEMENT;

/**
 * CloudTrail records these services' events in us-east-1 only ("global service events"),
 * so their forwarding rules exist only there.
 */
export const GLOBAL_EVENT_SOURCES: readonly string[] = [
  'account.amazonaws.com',
  'cloudfront.amazonaws.com',
  'iam.amazonaws.com',
  'organizations.amazonaws.com',
];

export interface ForwardedPattern {
  /** Stable key, part of the member rule name (`<prefix>-fwd-<key>`). */
  readonly key: string;
  /** `global`: us-east-1 only; `regional`: every enabled region of the account. */
  readonly scope: 'global' | 'regional';
  readonly state: RuleState;
  readonly pattern: EventPattern;
}

interface Block {
  readonly source: string;
  readonly eventSource: string;
  readonly names: string[];
}

const blockPattern = (b: Block, names: readonly string[]): EventPattern =>
  // Sign-in events: match on source + eventName, not on the detail-type whose spelling varies.
  b.source === 'aws.signin'
    ? { source: [b.source], detail: { eventSource: [b.eventSource], eventName: [...names] } }
    : {
        source: [b.source],
        'detail-type': [API_CALL],
        detail: { eventSource: [b.eventSource], eventName: [...names] },
      };

const orOf = (parts: readonly EventPattern[]): EventPattern => (parts.length === 1 ? parts[0]! : { $or: [...parts] });
const size = (p: EventPattern): number => JSON.stringify(p).length;

/**
 * Member forwarding patterns: API-call detections merged per service, packed into as few rules as
 * fit under the 2,048-character pattern limit (the default bus allows 300 rules and every rule is
 * one more resource per region per account). Output is sorted so synth is stable.
 */
export function forwardingPatterns(catalog: readonly Detection[]): ForwardedPattern[] {
  const groups = new Map<string, Map<string, Block>>();
  const custom = new Map<string, ForwardedPattern>();
  for (const d of catalog) {
    const state: RuleState = d.readOnlyEvents ? STATE_ALL_MANAGEMENT : 'ENABLED';
    if (d.forward.kind === 'pattern') {
      const existing = custom.get(d.forward.key);
      if (existing && JSON.stringify(existing.pattern) !== JSON.stringify(d.forward.pattern)) {
        throw new Error(`detection ${d.id}: forwarding key '${d.forward.key}' is used with two different patterns`);
      }
      // A key shared by several detections takes the widest state any of them needs.
      const merged = existing?.state === STATE_ALL_MANAGEMENT ? STATE_ALL_MANAGEMENT : state;
      if (existing && existing.scope !== (d.forward.scope ?? 'regional')) {
        throw new Error(`detection ${d.id}: forwarding key '${d.forward.key}' is used with two different scopes`);
      }
      const scope = d.forward.scope ?? 'regional';
      custom.set(d.forward.key, { key: d.forward.key, scope, state: merged, pattern: d.forward.pattern });
      continue;
    }
    const scope = GLOBAL_EVENT_SOURCES.includes(d.forward.eventSource) ? 'global' : 'regional';
    const groupKey = `${scope}|${state}`;
    const blocks = groups.get(groupKey) ?? new Map<string, Block>();
    const blockKey = `${d.forward.source}|${d.forward.eventSource}`;
    const block = blocks.get(blockKey) ?? { source: d.forward.source, eventSource: d.forward.eventSource, names: [] };
    for (const n of d.forward.eventNames) if (!block.names.includes(n)) block.names.push(n);
    blocks.set(blockKey, block);
    groups.set(groupKey, blocks);
  }

  const out: ForwardedPattern[] = [];
  for (const groupKey of [...groups.keys()].sort()) {
    const [scope, state] = groupKey.split('|') as ['global' | 'regional', RuleState];
    const parts: EventPattern[] = [];
    for (const key of [...groups.get(groupKey)!.keys()].sort()) {
      const block = groups.get(groupKey)!.get(key)!;
      parts.push(...splitBlock(block));
    }
    const keyBase = `${scope}${state === STATE_ALL_MANAGEMENT ? '-all' : ''}`;
    let current: EventPattern[] = [];
    let n = 0;
    const flush = () => {
      if (current.length === 0) return;
      n += 1;
      out.push({ key: `${keyBase}-${n}`, scope, state, pattern: orOf(current) });
      current = [];
    };
    for (const part of parts) {
      if (current.length > 0 && size(orOf([...current, part])) > MAX_PATTERN_LENGTH) flush();
      current.push(part);
    }
    flush();
  }
  for (const key of [...custom.keys()].sort()) out.push(custom.get(key)!);
  for (const p of out) {
    if (size(p.pattern) > MAX_PATTERN_LENGTH) {
      throw new Error(
        `forwarding pattern '${p.key}' is ${size(p.pattern)} characters; EventBridge allows ${MAX_PATTERN_LENGTH}`,
      );
    }
  }
  return out;
}

/** Splits one service's event names into as few sub-patterns as fit the size limit. */
function splitBlock(block: Block): EventPattern[] {
  const names = [...block.names].sort();
  const parts: EventPattern[] = [];
  let chunk: string[] = [];
  for (const name of names) {
    if (chunk.length > 0 && size(blockPattern(block, [...chunk, name])) > MAX_PATTERN_LENGTH - 20) {
      parts.push(blockPattern(block, chunk));
      chunk = [];
    }
    chunk.push(name);
  }
  if (chunk.length > 0) parts.push(blockPattern(block, chunk));
  return parts;
}

export interface CentralRule {
  readonly detectionId: string;
  /** Physical rule name on the central bus (≤ 64 characters). */
  readonly name: string;
  readonly pattern: EventPattern;
  readonly description: string;
  /**
   * Rule state. AWS applies the read-only filter on custom buses too, so detections that need
   * read-only management events need the "all management events" state centrally as well.
   */
  readonly state: RuleState;
}

/** One precise central rule per detection, sorted by id. */
export function centralRules(catalog: readonly Detection[], namePrefix: string): CentralRule[] {
  return [...catalog]
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .map((d) => {
      const name = `${namePrefix}-${d.id}`;
      if (name.length > 64) {
        throw new Error(`detection ${d.id}: rule name '${name}' exceeds EventBridge's 64 characters; shorten the id`);
      }
      return {
        detectionId: d.id,
        name,
        pattern: d.pattern,
        description: `${d.severity}: ${d.title}`.slice(0, 512),
        state: d.readOnlyEvents ? STATE_ALL_MANAGEMENT : 'ENABLED',
      };
    });
}
