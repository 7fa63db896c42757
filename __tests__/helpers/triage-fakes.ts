/**
 * In-memory stand-ins for the triage handler's adapters. The dedupe store keeps the semantics of the
 * DynamoDB conditions in handlers/adapters/dedupe-store.ts (whose own tests pin the requests), so the
 * handler tests can run whole sequences: a failed notification, its retry, a duplicate, a burst.
 */
import type { BurstCount, DedupeStore, EventClaim, EventStatus } from '../../handlers/adapters/dedupe-store';
import type { ChannelOutcome, Notifier, NotifyOptions } from '../../handlers/adapters/notify';
import type { ResourceTagsReader } from '../../handlers/adapters/resource-tags';
import type { Alert } from '../../handlers/core/alert';
import type { ResourceTagsOutcome } from '../../handlers/core/owner';
import type { TagLookup } from '../../handlers/core/triage';
import { DeliveryError, NotificationError } from '../../handlers/errors';

export interface FakeItem {
  status: EventStatus;
  owner: string;
  expiresAt: number;
  delivered?: string[];
}

/** A dedupe store in a Map; `failWith` makes the next call of a method throw. */
export class FakeDedupeStore implements DedupeStore {
  readonly items = new Map<string, FakeItem>();
  readonly bursts = new Map<string, { members: Set<string>; alertedBy?: string; expiresAt: number }>();
  readonly calls: string[] = [];
  private readonly failures = new Map<string, Error>();

  failWith(method: keyof DedupeStore, error: Error): void {
    this.failures.set(method, error);
  }

  private enter(method: keyof DedupeStore): void {
    this.calls.push(method);
    const error = this.failures.get(method);
    if (error) {
      this.failures.delete(method);
      throw error;
    }
  }

  async claimEvent(key: string, o: { owner: string; now: number; leaseSeconds: number }): Promise<EventClaim> {
    this.enter('claimEvent');
    const old = this.items.get(key);
    const free =
      !old || old.expiresAt < o.now || old.status === 'failed' || (old.status === 'pending' && old.owner === o.owner);
    if (!free) return { claimed: false, status: old.status };
    this.items.set(key, { status: 'pending', owner: o.owner, expiresAt: o.now + o.leaseSeconds });
    const wasFailed = old?.status === 'failed' && old.expiresAt >= o.now;
    return { claimed: true, delivered: wasFailed ? (old.delivered ?? []) : [] };
  }

  async finishEvent(
    key: string,
    o: { owner: string; status: 'sent' | 'suppressed' | 'folded'; now: number; ttlSeconds: number },
  ): Promise<boolean> {
    this.enter('finishEvent');
    const item = this.items.get(key);
    if (item?.owner !== o.owner) return false;
    this.items.set(key, { status: o.status, owner: o.owner, expiresAt: o.now + o.ttlSeconds });
    return true;
  }

  async failEvent(
    key: string,
    o: { owner: string; delivered: readonly string[]; now: number; ttlSeconds: number },
  ): Promise<boolean> {
    this.enter('failEvent');
    const item = this.items.get(key);
    if (item?.owner !== o.owner) return false;
    this.items.set(key, {
      status: 'failed',
      owner: o.owner,
      expiresAt: o.now + o.ttlSeconds,
      delivered: [...new Set(o.delivered)].sort(),
    });
    return true;
  }

  async claimResource(key: string, o: { owner: string; now: number; leaseSeconds: number }): Promise<boolean> {
    this.enter('claimResource');
    const old = this.items.get(key);
    if (old && old.expiresAt >= o.now && old.owner !== o.owner) return false;
    this.items.set(key, { status: 'pending', owner: o.owner, expiresAt: o.now + o.leaseSeconds });
    return true;
  }

  async confirmResource(key: string, o: { owner: string; now: number; windowSeconds: number }): Promise<boolean> {
    this.enter('confirmResource');
    const item = this.items.get(key);
    if (item?.owner !== o.owner) return false;
    this.items.set(key, { status: 'sent', owner: o.owner, expiresAt: o.now + o.windowSeconds });
    return true;
  }

  async releaseResource(key: string, o: { owner: string }): Promise<boolean> {
    this.enter('releaseResource');
    if (this.items.get(key)?.owner !== o.owner) return false;
    this.items.delete(key);
    return true;
  }

  async countBurst(
    plan: { readonly key: string; readonly threshold: number; readonly expiresAt: number },
    member: string,
  ): Promise<BurstCount> {
    this.enter('countBurst');
    const burst = this.bursts.get(plan.key) ?? { members: new Set<string>(), expiresAt: plan.expiresAt };
    if (burst.members.size >= plan.threshold && !burst.members.has(member)) return { status: 'folded' };
    burst.members.add(member);
    this.bursts.set(plan.key, burst);
    const count = burst.members.size;
    if (count < plan.threshold) return { status: 'below', count };
    if (burst.alertedBy !== undefined && burst.alertedBy !== member) return { status: 'folded' };
    burst.alertedBy = member;
    return { status: 'alert', count };
  }

  /** Items whose key starts with `prefix`. */
  withPrefix(prefix: string): Array<[string, FakeItem]> {
    return [...this.items.entries()].filter(([k]) => k.startsWith(prefix));
  }
}

/** Records notifications; `failNext` makes the next call throw a NotificationError. */
export class FakeNotifier implements Pick<Notifier, 'notify'> {
  readonly sent: Array<{ alert: Alert; skip: string[] }> = [];
  readonly attempts: Array<{ alert: Alert; skip: string[] }> = [];
  private failure: NotificationError | undefined;
  /** What a successful `notify` returns, e.g. a Slack outcome with the Web API message reference. */
  outcomes: ChannelOutcome[] = [];

  failNext(options: { permanent?: boolean; delivered?: Array<'slack' | 'pagerduty' | 'email'> } = {}): void {
    const failed = new DeliveryError('pagerduty: HTTP 503 after 4 attempts', {
      channel: 'pagerduty',
      permanent: options.permanent ?? false,
      attempts: 4,
      status: 503,
    });
    this.failure = new NotificationError('alert was not delivered to pagerduty', {
      failures: [failed],
      delivered: options.delivered ?? [],
      permanent: options.permanent ?? false,
    });
  }

  async notify(alert: Alert, options?: NotifyOptions): Promise<readonly ChannelOutcome[]> {
    const call = { alert, skip: [...(options?.skip ?? [])] };
    this.attempts.push(call);
    const failure = this.failure;
    if (failure) {
      this.failure = undefined;
      throw failure;
    }
    this.sent.push(call);
    return this.outcomes;
  }
}

/** Answers every lookup with `outcome` and records the lookups. */
export class FakeTags implements ResourceTagsReader {
  readonly lookups: Array<TagLookup | undefined> = [];

  constructor(public outcome: (lookup: TagLookup) => ResourceTagsOutcome = () => ({ status: 'not-applicable' })) {}

  async read(lookup: TagLookup | undefined): Promise<ResourceTagsOutcome> {
    this.lookups.push(lookup);
    return lookup ? this.outcome(lookup) : { status: 'not-applicable' };
  }
}

/** A settable clock. */
export class FakeClock {
  constructor(public ms: number) {}
  readonly now = (): Date => new Date(this.ms);
  advance(seconds: number): void {
    this.ms += seconds * 1000;
  }
}

/** Captures the handler's output lines: JSON log lines and EMF objects. */
export class LogCapture {
  readonly lines: string[] = [];
  readonly write = (line: string): void => {
    this.lines.push(line);
  };

  get parsed(): any[] {
    return this.lines.map((l) => JSON.parse(l));
  }

  /** EMF objects (they carry `_aws`). */
  get metrics(): any[] {
    return this.parsed.filter((l) => l._aws);
  }

  /** Log lines (everything but EMF). */
  get logs(): any[] {
    return this.parsed.filter((l) => !l._aws);
  }

  /** Sum of one metric over all EMF objects, optionally for one detection. */
  total(metric: string, detectionId?: string): number {
    return this.metrics
      .filter((m) => detectionId === undefined || m.DetectionId === detectionId)
      .reduce((sum, m) => sum + (typeof m[metric] === 'number' ? m[metric] : 0), 0);
  }
}
