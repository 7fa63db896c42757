import type { PostJsonOptions } from '../../../handlers/adapters/http';
import { PAGERDUTY_EVENTS_URL, publishPagerDutyEvent } from '../../../handlers/adapters/pagerduty';
import {
  formatPagerDutyResolve,
  formatPagerDutyTrigger,
  pagerDutyDedupKey,
} from '../../../handlers/core/format-pagerduty';
import type { DeliveryError } from '../../../handlers/errors';
import { NOW, sampleAlert } from '../../helpers/alerts';
import { type ScriptedResponse, type ScriptedServer, startScriptedServer } from '../../helpers/http-server';

const ROUTING_KEY = 'R0UTINGKEY0000000000000000000001';
const alert = sampleAlert();
const trigger = formatPagerDutyTrigger(alert, ROUTING_KEY, { now: NOW });
const accepted = (dedupKey: string): ScriptedResponse => ({
  status: 202,
  body: { status: 'success', message: 'Event processed', dedup_key: dedupKey },
});

let server: ScriptedServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** Sends `event` to a scripted server; a generous timeout unless a test is about timing out. */
async function send(
  script: ScriptedResponse[],
  event = trigger as Parameters<typeof publishPagerDutyEvent>[0],
  timeoutMs = 5_000,
) {
  server = await startScriptedServer(script);
  const waits: number[] = [];
  const options: PostJsonOptions & { url: string } = {
    url: `${server.url}/v2/enqueue`,
    timeoutMs,
    runtime: { sleep: async (ms) => void waits.push(ms), random: () => 0.5 },
  };
  const result = await publishPagerDutyEvent(event, options).then(
    (receipt) => ({ receipt, error: undefined }),
    (error: unknown) => ({ receipt: undefined, error: error as DeliveryError }),
  );
  return { ...result, waits, server };
}

describe('publishPagerDutyEvent', () => {
  it('sends to the Events API v2 enqueue endpoint by default', () => {
    expect(PAGERDUTY_EVENTS_URL).toBe('https://events.pagerduty.com/v2/enqueue');
  });

  it('posts the trigger and reads the dedup key from the 202 answer', async () => {
    const { receipt, server } = await send([accepted(trigger.dedup_key)]);

    expect(receipt).toEqual({ attempts: 1, waits: [], dedupKey: trigger.dedup_key });
    expect(server.requests[0].path).toBe('/v2/enqueue');
    expect(server.json(0)).toEqual(JSON.parse(JSON.stringify(trigger)));
  });

  it('posts a resolve with the dedup key of the trigger', async () => {
    const { receipt, server } = await send([accepted(trigger.dedup_key)], formatPagerDutyResolve(alert, ROUTING_KEY));

    expect(receipt?.dedupKey).toBe(pagerDutyDedupKey(alert));
    expect(server.json(0)).toEqual({ routing_key: ROUTING_KEY, event_action: 'resolve', dedup_key: trigger.dedup_key });
  });

  it('backs off and retries after a 429', async () => {
    const { receipt, waits } = await send([{ status: 429 }, accepted('k')]);

    expect(receipt?.attempts).toBe(2);
    expect(waits).toEqual([125]); // random 0.5 × first ceiling 250 ms
  });

  it('retries after a 502, and after a timeout', async () => {
    const { receipt, server } = await send([{ status: 502 }, { status: 202, hang: true }, accepted('k')], trigger, 200);

    expect(receipt?.attempts).toBe(3);
    expect(server.requests).toHaveLength(3);
  });

  it('fails permanently, without retrying, on 400 invalid event', async () => {
    const { error, server } = await send([
      {
        status: 400,
        body: {
          status: 'invalid event',
          message: 'Event object is invalid',
          errors: ["Length of 'routing_key' is incorrect"],
        },
      },
      accepted('k'),
    ]);

    expect(error).toMatchObject({
      name: 'DeliveryError',
      channel: 'pagerduty',
      permanent: true,
      attempts: 1,
      status: 400,
    });
    expect(error?.message).toContain('invalid event');
    expect(error?.message).not.toContain(ROUTING_KEY);
    expect(server.requests).toHaveLength(1);
  });

  it('fails transiently when PagerDuty keeps answering 500', async () => {
    const { error, server } = await send(Array(4).fill({ status: 500 }));

    expect(error).toMatchObject({ channel: 'pagerduty', permanent: false, attempts: 4 });
    expect(server.requests).toHaveLength(4);
  });
});
