import type { FindingRecord } from '../../../../handlers/core/findings/finding';
import { findingId } from '../../../../handlers/core/findings/finding';
import type { FindingsOutcome } from '../../../../handlers/core/findings/ports';
import { recordingVerdictFindings } from '../../../../handlers/core/findings/verdicts';
import type { VerdictRecord } from '../../../../handlers/core/verdict';
import { CATALOG } from '../../../../rules/catalog';

const verdict: VerdictRecord = {
  detectionId: 'cloudtrail-logging-stopped',
  accountId: '110000000006',
  eventId: 'e-1',
  verdict: 'false-positive',
  actor: 'slack:U1',
  at: '2025-07-01T02:00:00.000Z',
};

function setup(outcome: FindingsOutcome = { ok: true }, recordFails = false) {
  const published: FindingRecord[][] = [];
  const recorded: VerdictRecord[] = [];
  const logs: unknown[] = [];
  const record = recordingVerdictFindings(
    async (v) => {
      if (recordFails) throw new Error('table down');
      recorded.push(v);
    },
    {
      publish: async (records) => {
        published.push([...records]);
        return outcome;
      },
    },
    (id) => CATALOG.find((d) => d.id === id),
    (_level, message, fields) => logs.push({ message, ...fields }),
  );
  return { record, published, recorded, logs };
}

describe('verdicts as finding updates', () => {
  it('records the verdict, then updates its finding', async () => {
    const { record, published, recorded } = setup();

    await record(verdict);

    expect(recorded).toEqual([verdict]);
    expect(published).toEqual([
      [
        {
          kind: 'update',
          update: expect.objectContaining({
            findingId: findingId('cloudtrail-logging-stopped', 'e-1'),
            status: 'false-positive',
            actor: 'slack:U1',
            at: verdict.at,
          }),
        },
      ],
    ]);
  });

  it('never fails the click for a failed export, and logs it', async () => {
    const failed: FindingsOutcome = {
      ok: false,
      failures: [{ sink: 'securityhub', records: 1, permanent: true, error: 'AccessDenied' }],
    };
    const { record, logs } = setup(failed);

    await expect(record(verdict)).resolves.toBeUndefined();
    expect(logs).toEqual([expect.objectContaining({ outcome: 'finding-export-failed', failures: failed.failures })]);
  });

  it('exports nothing when the verdict was not recorded, or names an unknown detection', async () => {
    const failing = setup({ ok: true }, true);
    await expect(failing.record(verdict)).rejects.toThrow('table down');
    const unknown = setup();
    await unknown.record({ ...verdict, detectionId: 'no-such-detection' });
    expect([failing.published, unknown.published]).toEqual([[], []]);
  });
});
