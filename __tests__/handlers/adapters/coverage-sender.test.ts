import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { makeCoverageSender } from '../../../handlers/adapters/coverage-sender';
import { makeEmailPublisher } from '../../../handlers/adapters/email';
import type { CoverageResult } from '../../../handlers/core/coverage';
import { pipelineDownMessage, pipelineRecoveredMessage } from '../../../handlers/core/format-coverage';
import { DeliveryError } from '../../../handlers/errors';
import { type ScriptedServer, startScriptedServer } from '../../helpers/http-server';

const sns = mockClient(SNSClient);
const NOW = new Date('2026-12-04T10:00:00.000Z');
const RESULT = { counts: { healthy: 0, late: 0, silent: 40, notDeployed: 0, deployed: 40 } } as CoverageResult;
const CTX = { prefix: 'vigil', evaluatedAt: NOW.toISOString(), silentAfterMinutes: 45 };
const PD = 'ssm:/vigil/pagerduty/security' as const;

let server: ScriptedServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
  sns.reset();
});

function sender(url?: string) {
  const invalidated: string[] = [];
  return {
    invalidated,
    sender: makeCoverageSender({
      secrets: {
        read: async (ref: string) => (ref === PD ? 'R0UTINGKEY0123456789012345678901' : `${url}/hook`),
        invalidate: (ref: string) => void invalidated.push(ref),
      },
      publishEmail: makeEmailPublisher(new SNSClient({ region: 'eu-west-1' })),
      now: () => NOW,
      ...(url ? { pagerDutyUrl: `${url}/v2/enqueue` } : {}),
    }),
  };
}

describe('makeCoverageSender', () => {
  it('pages the pipeline down with one dedup key, and resolves it with the same key', async () => {
    server = await startScriptedServer([
      { status: 202, body: { status: 'success', dedup_key: 'vigil/coverage/pipeline-down' } },
      { status: 202, body: { status: 'success', dedup_key: 'vigil/coverage/pipeline-down' } },
    ]);
    const { sender: s } = sender(server.url);
    await s.send('pagerduty', { pagerdutyRoutingKeyRef: PD }, pipelineDownMessage(RESULT, CTX));
    await s.send('pagerduty', { pagerdutyRoutingKeyRef: PD }, pipelineRecoveredMessage(RESULT, CTX));

    expect(server.json(0)).toMatchObject({
      routing_key: 'R0UTINGKEY0123456789012345678901',
      event_action: 'trigger',
      dedup_key: 'vigil/coverage/pipeline-down',
      payload: { severity: 'critical', class: 'pipeline-down', timestamp: NOW.toISOString() },
    });
    expect(server.json(0).payload.summary).toContain('no heartbeat from any of 40 cells');
    expect(server.json(1)).toEqual({
      routing_key: 'R0UTINGKEY0123456789012345678901',
      event_action: 'resolve',
      dedup_key: 'vigil/coverage/pipeline-down',
    });
  });

  it('posts Slack to the webhook and email to the topic', async () => {
    server = await startScriptedServer([{ status: 200, body: 'ok' }]);
    sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
    const { sender: s } = sender(server.url);
    const message = pipelineDownMessage(RESULT, CTX);
    const topic = 'arn:aws:sns:eu-west-1:333333333333:vigil-alerts';
    await s.send('slack', { slackWebhookRef: 'secretsmanager:vigil/slack/security' }, message);
    await s.send('email', { emailTopicArn: topic }, message);

    expect(server.json(0)).toEqual(message.slack);
    expect(sns.commandCalls(PublishCommand)[0]!.args[0].input).toEqual({
      TopicArn: topic,
      Subject: message.email.subject,
      Message: message.email.body,
    });
  });

  it('refuses, as permanent, a channel the routing cannot serve', async () => {
    const { sender: s } = sender();
    const message = pipelineDownMessage(RESULT, CTX);
    const err = await s.send('slack', { slackChannel: '#security' }, message).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeliveryError);
    expect((err as DeliveryError).permanent).toBe(true);
    await expect(s.send('pagerduty', {}, message)).rejects.toThrow(/no routing key/);
  });
});
