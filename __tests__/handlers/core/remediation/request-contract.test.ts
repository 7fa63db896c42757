import {
  parseRemediateInput,
  type RemediationRequest,
  remediationWork,
} from '../../../../handlers/core/remediation/request-contract';

const EVENT = {
  id: 'e-1',
  account: '111111111111',
  region: 'eu-west-1',
  source: 'aws.ec2',
  time: '2026-03-01T09:59:58Z',
  'detail-type': 'AWS API Call via CloudTrail',
  detail: { eventID: 'ct-1', eventName: 'AuthorizeSecurityGroupIngress', eventSource: 'ec2.amazonaws.com' },
};
const ALERT_REF = {
  sentAt: '2026-03-01T10:00:00.000Z',
  alert: { title: 'x' } as never,
  slack: { channel: 'C1', ts: '1.2' },
};

describe('the remediation request contract', () => {
  it('parses what triage builds back into the same request (through the queue: JSON)', () => {
    const sent = remediationWork('ec2-security-group-world-open-ingress', EVENT, ALERT_REF);
    const parsed = parseRemediateInput(JSON.parse(JSON.stringify(sent)));

    expect(parsed).toEqual({
      kind: 'request',
      request: {
        detectionId: 'ec2-security-group-world-open-ingress',
        event: EVENT,
        alertRef: ALERT_REF,
      } satisfies RemediationRequest,
    });
  });

  it('takes approved work in both forms', () => {
    expect(parseRemediateInput({ kind: 'undo', requestId: 'req-0001-abcd', approver: 'slack:U1' })).toMatchObject({
      kind: 'approved',
      work: { kind: 'undo', requestId: 'req-0001-abcd', approver: 'slack:U1' },
    });
    expect(parseRemediateInput({ approvedRequestId: 'req-0001-abcd', approver: 'email:a@example.com' })).toMatchObject({
      kind: 'approved',
      work: { kind: 'execute', requestId: 'req-0001-abcd', approver: 'email:a@example.com' },
    });
  });

  it.each([
    ['not an object', [], 'expected a JSON object'],
    ['no detection', { event: EVENT }, 'detectionId is not a string; expected {detectionId, event, alertRef?}'],
    ['no event', { detectionId: 'd' }, 'event is not an object; expected {detectionId, event, alertRef?}'],
    ['event without id', { detectionId: 'd', event: { ...EVENT, id: 7 } }, 'event.id is not a string'],
    [
      'event without account',
      { detectionId: 'd', event: { ...EVENT, account: null } },
      'event.account is not a string',
    ],
    ['event without detail', { detectionId: 'd', event: { ...EVENT, detail: 'x' } }, 'event.detail is not an object'],
    ['alertRef not an object', { detectionId: 'd', event: EVENT, alertRef: 'x' }, 'alertRef is not an object'],
    ['approved work without approver', { kind: 'execute', requestId: 'r' }, 'approved work needs'],
  ])('rejects %s, naming the problem', (_label, input, reason) => {
    const parsed = parseRemediateInput(input);
    expect(parsed.kind).toBe('invalid');
    expect((parsed as { reason: string }).reason).toContain(reason);
  });
});
