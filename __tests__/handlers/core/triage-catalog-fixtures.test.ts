/**
 * The whole triage decision (envelope, loop guard, failed calls, pattern, predicate) against every
 * catalog fixture in __tests__/fixtures/events/<detection-id>/: each positive becomes an alert of its
 * detection, each negative is dropped. The catalog test checks patterns and predicates alone; this one
 * catches fixtures (and so real events) that the handler's own checks would refuse.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertValidInventory } from '../../../config/inventory';
import org from '../../../config/org.json';
import { parseTriageMessage } from '../../../handlers/core/envelope';
import { toHandlerInventory } from '../../../handlers/core/inventory-view';
import { makeTriageContext, triageMessage } from '../../../handlers/core/triage';
import { CATALOG } from '../../../rules/catalog';
import { PREDICATES } from '../../../rules/predicates';

const FIXTURES = join(__dirname, '..', '..', 'fixtures', 'events');
const inventory = toHandlerInventory(assertValidInventory(org));
const ctx = makeTriageContext(inventory, CATALOG, PREDICATES);

const cases = CATALOG.flatMap((d) => {
  const dir = join(FIXTURES, d.id);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => [d.id, file] as const);
});

function triage(detectionId: string, file: string) {
  const body = JSON.stringify({
    detectionId,
    event: JSON.parse(readFileSync(join(FIXTURES, detectionId, file), 'utf8')),
  });
  const parsed = parseTriageMessage(body);
  return parsed.ok ? triageMessage(parsed.message, ctx) : { kind: 'rejected' as const, reason: parsed.reason };
}

describe('triage over the catalog fixtures', () => {
  it('has fixtures to run', () => {
    expect(cases.length).toBeGreaterThan(0);
  });

  const heartbeat = (id: string) => CATALOG.find((d) => d.id === id)?.class === 'heartbeat';

  it.each(cases.filter(([id, f]) => f.startsWith('positive') && !heartbeat(id)))(
    '%s/%s becomes an alert',
    (id, file) => {
      const decision = triage(id, file);

      expect(decision).toMatchObject({ kind: 'alert', detection: { id } });
    },
  );

  it.each(cases.filter(([id, f]) => f.startsWith('positive') && heartbeat(id)))(
    '%s/%s is recorded as a heartbeat, never alerted',
    (id, file) => {
      const decision = triage(id, file);

      expect(decision).toMatchObject({ kind: 'heartbeat', detection: { id } });
    },
  );

  it.each(cases.filter(([, f]) => f.startsWith('negative')))(
    '%s/%s is dropped by triage, not as malformed',
    (id, file) => {
      const decision = triage(id, file);

      // A negative fixture is a real event that is not a finding: the envelope accepts it, triage drops it.
      expect(decision.kind).toBe('drop');
    },
  );
});
