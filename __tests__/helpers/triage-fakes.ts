/**
 * In-memory stand-ins for the triage handler's adapters. The dedupe store keeps the semantics of the
 * DynamoDB conditions in handlers/adapters/dedupe-store.ts (whose own tests pin the requests), so the
 * handler tests can run whole sequences: a failed notification, its retry, a duplicate, a burst.
 */
import type { DedupeStore } from '../../handlers/adapters/dedupe-store';
import { type MemoryItem, MemoryDedupeStore } from '../../handlers/core/flows/memory-dedupe-store';
import type { ChannelOutcome, Notifier, NotifyOptions } from '../../handlers/adapters/notify';
import type { ResourceTagsReader } from '../../handlers/adapters/resource-tags';
import type { Alert } from '../../handlers/core/alert';
import type { ResourceTagsOutcome } from '../../handlers/core/owner';
import type { TagLookup } from '../../handlers/core/triage';
import { DeliveryError, NotificationError } from '../../handlers/errors';

export type FakeItem = MemoryItem;

/**
 * The production in-memory store (handlers/core/flows/memory-dedupe-store.ts) with a call log;
 * `failWith` makes the next call of a method throw.
 */
export class FakeDedupeStore extends MemoryDedupeStore {
  readonly calls: string[] = [];
  private readonly failures = new Map<string, Error>();

  constructor() {
    super();
    for (const method of DEDUPE_METHODS) {
      const real = (this[method] as (...args: unknown[]) => Promise<unknown>).bind(this);
      (this as Record<string, unknown>)[method] = async (...args: unknown[]) => {
        this.calls.push(method);
        const error = this.failures.get(method);
        if (error) {
          this.failures.delete(method);
          throw error;
        }
        return real(...args);
      };
    }
  }

  failWith(method: keyof DedupeStore, error: Error): void {
    this.failures.set(method, error);
  }
}

const DEDUPE_METHODS = [
  'claimEvent',
  'finishEvent',
  'failEvent',
  'claimResource',
  'confirmResource',
  'releaseResource',
  'countBurst',
] as const satisfies ReadonlyArray<keyof DedupeStore>;

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
