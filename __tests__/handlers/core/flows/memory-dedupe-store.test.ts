import { MemoryDedupeStore } from '../../../../handlers/core/flows/memory-dedupe-store';

const lease = { leaseSeconds: 300 };

describe('MemoryDedupeStore: events', () => {
  it('claims an event once; a second copy sees it pending, then sent', async () => {
    const store = new MemoryDedupeStore();
    await expect(store.claimEvent('e', { owner: 'm1', now: 100, ...lease })).resolves.toEqual({
      claimed: true,
      delivered: [],
    });
    await expect(store.claimEvent('e', { owner: 'm2', now: 101, ...lease })).resolves.toEqual({
      claimed: false,
      status: 'pending',
    });
    await expect(store.finishEvent('e', { owner: 'm1', status: 'sent', now: 102, ttlSeconds: 86_400 })).resolves.toBe(
      true,
    );
    await expect(store.claimEvent('e', { owner: 'm2', now: 103, ...lease })).resolves.toEqual({
      claimed: false,
      status: 'sent',
    });
  });

  it('lets the same message re-claim its pending event, and anyone claim it after the lease', async () => {
    const store = new MemoryDedupeStore();
    await store.claimEvent('e', { owner: 'm1', now: 100, ...lease });
    await expect(store.claimEvent('e', { owner: 'm1', now: 150, ...lease })).resolves.toMatchObject({ claimed: true });
    await expect(store.claimEvent('e', { owner: 'm2', now: 451, ...lease })).resolves.toMatchObject({ claimed: true });
    // The first owner lost its claim: its final write is refused.
    await expect(store.finishEvent('e', { owner: 'm1', status: 'sent', now: 452, ttlSeconds: 10 })).resolves.toBe(
      false,
    );
  });

  it('hands the channels of a failed attempt to the retry, sorted and without repeats', async () => {
    const store = new MemoryDedupeStore();
    await store.claimEvent('e', { owner: 'm1', now: 100, ...lease });
    await expect(
      store.failEvent('e', { owner: 'm1', delivered: ['slack', 'email', 'slack'], now: 101, ttlSeconds: 86_400 }),
    ).resolves.toBe(true);
    await expect(store.claimEvent('e', { owner: 'm1', now: 102, ...lease })).resolves.toEqual({
      claimed: true,
      delivered: ['email', 'slack'],
    });
    await expect(store.failEvent('x', { owner: 'm1', delivered: [], now: 1, ttlSeconds: 1 })).resolves.toBe(false);
  });
});

describe('MemoryDedupeStore: resources', () => {
  it('suppresses repeats for the window after the alert, then lets the next event alert', async () => {
    const store = new MemoryDedupeStore();
    await expect(store.claimResource('r', { owner: 'ev1', now: 100, ...lease })).resolves.toBe(true);
    await expect(store.confirmResource('r', { owner: 'ev1', now: 110, windowSeconds: 900 })).resolves.toBe(true);
    await expect(store.claimResource('r', { owner: 'ev2', now: 1000, ...lease })).resolves.toBe(false);
    await expect(store.claimResource('r', { owner: 'ev2', now: 1011, ...lease })).resolves.toBe(true);
    await expect(store.confirmResource('r', { owner: 'ev1', now: 1012, windowSeconds: 900 })).resolves.toBe(false);
  });

  it('gives a resource up after a failed notification, only for its owner', async () => {
    const store = new MemoryDedupeStore();
    await store.claimResource('r', { owner: 'ev1', now: 100, ...lease });
    await expect(store.releaseResource('r', { owner: 'ev2' })).resolves.toBe(false);
    await expect(store.releaseResource('r', { owner: 'ev1' })).resolves.toBe(true);
    await expect(store.claimResource('r', { owner: 'ev2', now: 101, ...lease })).resolves.toBe(true);
    expect(store.withPrefix('r').map(([k, v]) => [k, v.owner])).toEqual([['r', 'ev2']]);
  });
});

describe('MemoryDedupeStore: bursts', () => {
  it('counts members once, alerts on the threshold and folds the rest', async () => {
    const store = new MemoryDedupeStore();
    const plan = { key: 'b', threshold: 2, expiresAt: 999 };
    await expect(store.countBurst(plan, 'e1')).resolves.toEqual({ status: 'below', count: 1 });
    await expect(store.countBurst(plan, 'e1')).resolves.toEqual({ status: 'below', count: 1 });
    await expect(store.countBurst(plan, 'e2')).resolves.toEqual({ status: 'alert', count: 2 });
    // A retry of the alerting event alerts again (its notification may have failed); others fold.
    await expect(store.countBurst(plan, 'e2')).resolves.toEqual({ status: 'alert', count: 2 });
    await expect(store.countBurst(plan, 'e3')).resolves.toEqual({ status: 'folded' });
    await expect(store.countBurst(plan, 'e1')).resolves.toEqual({ status: 'folded' });
  });
});
