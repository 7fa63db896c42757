import { formatSlackMessage } from '../../../handlers/core/format-slack';
import {
  parseVerdictValue,
  VERDICT_ACTIONS,
  VERDICTS,
  verdictOfAction,
  verdictValue,
} from '../../../handlers/core/verdict';
import { sampleAlert } from '../../helpers/alerts';

describe('verdict buttons', () => {
  it('round-trips the subject through the button value', () => {
    const subject = { detectionId: 'iam-policy-changed', accountId: '110000000006', eventId: 'abc-123' };

    expect(parseVerdictValue(verdictValue(subject))).toEqual(subject);
  });

  it.each([
    [undefined],
    [''],
    ['Iam 110000000006 e'],
    ['iam 11000000000 e'],
    ['iam 110000000006 e/1'],
    ['iam 110000000006'],
    [`iam 110000000006 ${'e'.repeat(300)}`],
  ])('refuses %p', (value) => {
    expect(parseVerdictValue(value)).toBeUndefined();
  });

  it('maps each action id to its verdict and nothing else', () => {
    expect(VERDICTS.map((v) => verdictOfAction(VERDICT_ACTIONS[v]))).toEqual([...VERDICTS]);
    expect(verdictOfAction('vigil_approve')).toBeUndefined();
  });

  it('puts three verdict buttons naming the alert on a Slack alert that asks for them, and none otherwise', () => {
    const alert = { ...sampleAlert(), verdictButtons: true };
    const actionsOf = (a: typeof alert) =>
      formatSlackMessage(a, { now: new Date() }).blocks.filter((b) => b.type === 'actions');

    expect(actionsOf(alert)).toEqual([
      {
        type: 'actions',
        block_id: 'vigil_verdict',
        elements: VERDICTS.map((v) =>
          expect.objectContaining({
            type: 'button',
            action_id: VERDICT_ACTIONS[v],
            value: `${alert.detection.id} ${alert.event.account.id} ${alert.event.eventId}`,
          }),
        ),
      },
    ]);
    expect(actionsOf({ ...alert, verdictButtons: false })).toEqual([]);
  });
});
