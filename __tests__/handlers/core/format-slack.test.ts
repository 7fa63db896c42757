import type { Alert } from '../../../handlers/core/alert';
import {
  escapeSlackText,
  formatSlackMessage,
  SLACK_LIMITS,
  type SlackBlock,
} from '../../../handlers/core/format-slack';
import { NOW, sampleAlert, TRAIL_ARN } from '../../helpers/alerts';

const format = (alert: Alert = sampleAlert()) => formatSlackMessage(alert, { now: NOW });

/** Every text object of the message, with where it sits. */
function texts(blocks: readonly SlackBlock[]): Array<{ kind: string; text: string }> {
  return blocks.flatMap((b) => {
    if (b.type === 'header') return [{ kind: 'header', text: b.text.text }];
    if (b.type === 'context') return b.elements.map((e) => ({ kind: 'context', text: e.text }));
    if (b.type === 'actions') return b.elements.map((e) => ({ kind: 'button', text: e.text.text }));
    return [
      ...(b.text ? [{ kind: 'section', text: b.text.text }] : []),
      ...(b.fields ?? []).map((f) => ({ kind: 'field', text: f.text })),
    ];
  });
}

const all = (alert?: Alert) => {
  const m = format(alert);
  return `${m.text}\n${texts(m.blocks)
    .map((t) => t.text)
    .join('\n')}`;
};

function hugeAlert(): Alert {
  const base = sampleAlert();
  const huge = 'A'.repeat(20_000);
  return sampleAlert({
    owner: huge,
    event: {
      ...base.event,
      userAgent: huge,
      sourceIPAddress: huge,
      actor: { type: 'AssumedRole', arn: `arn:aws:sts::111111111111:assumed-role/${huge}` },
      requestParameters: Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`param${i}`, huge])),
      resources: Array.from({ length: 500 }, (_, i) => `arn:aws:s3:::bucket-${i}-${huge}`),
    },
    remediation: { mode: 'approve', state: 'failed', detail: huge },
  });
}

describe('formatSlackMessage', () => {
  it('starts with a header naming severity and detection title', () => {
    const [header] = format().blocks;
    expect(header).toEqual({
      type: 'header',
      text: { type: 'plain_text', text: ':red_circle: CRITICAL · CloudTrail logging was stopped', emoji: true },
    });
  });

  it('says what happened, who, where, when and why it matters', () => {
    const { blocks } = format();
    const [, what, facts] = blocks;
    expect(what.type === 'section' && what.text?.text).toBe(
      '*What happened:* `StopLogging` on cloudtrail by `assumed-role/Admin/alice` in *prod-payments (111111111111) us-east-1*.\n' +
        '*Why it matters:* A stopped trail hides every later API call in that account from detection and from audit.',
    );
    const fields = facts.type === 'section' ? (facts.fields ?? []).map((f) => f.text) : [];
    expect(fields).toEqual([
      '*Who*\n`arn:aws:sts::111111111111:assumed-role/Admin/alice` (AssumedRole)',
      '*Where*\nprod-payments (111111111111) · us-east-1 · OU Workloads/Prod · prod',
      `*When*\n<!date^${Date.parse('2024-05-02T10:15:27Z') / 1000}^{date_short} {time_secs}|2024-05-02T10:15:27Z>\n_alert sent 3 min after the call_`,
      '*Source IP*\n`203.0.113.10`',
      expect.stringMatching(/^\*User agent\*\n`aws-cli\/2\.15\.30 /),
      '*Owner*\nteam-payments',
      '*Remediation*\nauto: *fixed*\nStartLogging on org-trail, verified IsLogging=true',
      '*Detection*\n`cloudtrail-logging-stopped`',
    ]);
  });

  it('links the console, the CloudTrail event and the runbook', () => {
    const alert = sampleAlert();
    const text = all(alert);
    expect(text).toContain(`<${alert.links.console}|Open in console>`);
    expect(text).toContain(`<${alert.links.cloudTrailEvent}|CloudTrail event>`);
    expect(text).toContain(`<${alert.links.runbook}|Runbook>`);
  });

  it('lists request parameters, resources, detection id and compliance refs', () => {
    const text = all();
    expect(text).toContain(`*Request parameters*\n\`\`\`name: ${TRAIL_ARN}\`\`\``);
    expect(text).toContain(`*Resources*\n• \`${TRAIL_ARN}\``);
    const context = format().blocks.at(-1);
    expect(context?.type).toBe('context');
    expect(texts([context!])[0].text).toBe(
      'Detection `cloudtrail-logging-stopped` · CIS 4.5 · CIS 3.5 (v1.2) · Security Hub CloudWatch.5 · PCI DSS 10.5.2 · ' +
        'SOC 2 CC7.2 · MITRE ATT&amp;CK T1562.008 · Event `3f2c7a1e-9b4d-4c52-8f0e-5d6a1b2c3d4e` · vigil',
    );
  });

  it('gives a plain fallback text for notifications', () => {
    expect(format().text).toBe(
      ':red_circle: [CRITICAL] CloudTrail logging was stopped in prod-payments (111111111111) us-east-1 by assumed-role/Admin/alice',
    );
  });

  it("stays inside Slack's limits when every event value is huge", () => {
    const { text, blocks } = format(hugeAlert());
    expect(blocks.length).toBeLessThanOrEqual(SLACK_LIMITS.blocks);
    for (const b of blocks) {
      if (b.type === 'section') expect(b.fields?.length ?? 0).toBeLessThanOrEqual(SLACK_LIMITS.fields);
      if (b.type === 'context') expect(b.elements.length).toBeLessThanOrEqual(SLACK_LIMITS.contextElements);
    }
    for (const t of texts(blocks)) {
      const max =
        { header: SLACK_LIMITS.headerText, field: SLACK_LIMITS.fieldText }[t.kind] ?? SLACK_LIMITS.sectionText;
      expect(t.text.length).toBeLessThanOrEqual(max);
    }
    expect(text.length).toBeLessThanOrEqual(SLACK_LIMITS.sectionText);
    // Slack also refuses messages whose blocks are long in total (msg_blocks_too_long, ~13k chars).
    expect(texts(blocks).reduce((n, t) => n + t.text.length, 0)).toBeLessThan(12_000);
    expect(all(hugeAlert())).toMatch(/\n… and 4\d\d more/);
    // A cut never leaves a code span or block open, which would garble the rest of the message.
    for (const t of texts(blocks)) expect((t.text.match(/`/g) ?? []).length % 2).toBe(0);
  });

  it('escapes event text so it cannot notify the channel or forge a link', () => {
    const base = sampleAlert();
    const attack = '<!channel> <https://evil.example/approve|Approve remediation> & <@U123>';
    const text = all(
      sampleAlert({
        event: { ...base.event, userAgent: attack, requestParameters: { name: attack }, resources: [attack] },
        remediation: { ...base.remediation, detail: attack },
      }),
    );
    expect(text).not.toContain('<!channel>');
    expect(text).not.toContain('<@U123>');
    expect(text).not.toContain('<https://evil.example');
    expect(text).toContain(
      '&lt;!channel&gt; &lt;https://evil.example/approve|Approve remediation&gt; &amp; &lt;@U123&gt;',
    );
  });

  it('keeps a value from closing its code span or block early', () => {
    const base = sampleAlert();
    const text = all(
      sampleAlert({ event: { ...base.event, userAgent: 'a`*b*`c', requestParameters: { name: 'x```y' } } }),
    );
    expect(text).toContain("`a'*b*'c`");
    expect(text).toContain("```name: x'''y```");
  });

  it('never leaves half an escaped entity at a cut', () => {
    const base = sampleAlert();
    const { blocks } = format(sampleAlert({ event: { ...base.event, requestParameters: { p: '&'.repeat(5000) } } }));
    const params = texts(blocks).find((t) => t.text.startsWith('*Request parameters*'))!;
    expect(params.text).toMatch(/(&amp;)+…```$/);
  });

  it('links only https URLs', () => {
    const base = sampleAlert();
    const text = all(
      sampleAlert({ links: { ...base.links, runbook: 'javascript:alert(1)', approve: 'http://plain.example' } }),
    );
    expect(text).not.toContain('Runbook');
    expect(text).not.toContain('Approve remediation');
  });

  it('escapes &, < and > only', () => {
    expect(escapeSlackText('a & b < c > d *e*')).toBe('a &amp; b &lt; c &gt; d *e*');
  });
});
