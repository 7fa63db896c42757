/**
 * A {@link DedupeStore} in memory, with the semantics of the DynamoDB conditions in
 * handlers/adapters/dedupe-store.ts (whose tests pin the requests and conditions; `__tests__/handlers/core/
 * flows/memory-dedupe-store.test.ts` pins these semantics as sequences). Replay runs the triage flow
 * on it, so a backtest suppresses, folds and deduplicates exactly as production does; the handler tests
 * use it to run whole sequences (a failed notification, its retry, a duplicate, a burst).
 */
import type { BurstCount, DedupeStore, EventClaim, EventStatus, FinalStatus } from './triage-ports';

export interface MemoryItem {
  status: EventStatus;
  owner: string;
  expiresAt: number;
  delivered?: string[];
}

export class MemoryDedupeStore implements DedupeStore {
  readonly items = new Map<string, MemoryItem>();
  readonly bursts = new Map<string, { members: Set<string>; alertedBy?: string; expiresAt: number }>();

  async claimEvent(key: string, o: { owner: string; now: number; leaseSeconds: number }): Promise<EventClaim> {
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
    o: { owner: string; status: FinalStatus; now: number; ttlSeconds: number },
  ): Promise<boolean> {
    const item = this.items.get(key);
    if (item?.owner !== o.owner) return false;
    this.items.set(key, { status: o.status, owner: o.owner, expiresAt: o.now + o.ttlSeconds });
    return true;
  }

  async failEvent(
    key: string,
    o: { owner: string; delivered: readonly string[]; now: number; ttlSeconds: number },
  ): Promise<boolean> {
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
    const old = this.items.get(key);
    if (old && old.expiresAt >= o.now && old.owner !== o.owner) return false;
    this.items.set(key, { status: 'pending', owner: o.owner, expiresAt: o.now + o.leaseSeconds });
    return true;
  }

  async confirmResource(key: string, o: { owner: string; now: number; windowSeconds: number }): Promise<boolean> {
    const item = this.items.get(key);
    if (item?.owner !== o.owner) return false;
    this.items.set(key, { status: 'sent', owner: o.owner, expiresAt: o.now + o.windowSeconds });
    return true;
  }

  async releaseResource(key: string, o: { owner: string }): Promise<boolean> {
    if (this.items.get(key)?.owner !== o.owner) return false;
    this.items.delete(key);
    return true;
  }

  async countBurst(
    plan: { readonly key: string; readonly threshold: number; readonly expiresAt: number },
    member: string,
  ): Promise<BurstCount> {
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
  withPrefix(prefix: string): Array<[string, MemoryItem]> {
    return [...this.items.entries()].filter(([k]) => k.startsWith(prefix));
  }
}
