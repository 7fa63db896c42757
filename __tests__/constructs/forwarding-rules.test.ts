import { Testing } from '../../framework/cdktf';
import { ForwardingRules, type ForwardingRulesProps } from '../../constructs/forwarding-rules';
import { CATALOG } from '../../rules/catalog';
import { forwardingPatterns } from '../../rules/patterns';

const base: ForwardingRulesProps = {
  accountId: '444444444444',
  centralBusArn: 'arn:aws:events:eu-west-1:333333333333:event-bus/vigil-security',
  patterns: forwardingPatterns(CATALOG),
  regions: ['eu-west-1', 'us-east-1'],
  globalRegion: 'us-east-1',
  roleName: 'vigil-forwarder',
  namePrefix: 'vigil',
};
const build = (props: Partial<ForwardingRulesProps>) =>
  Testing.synthScope((scope) => new ForwardingRules(scope, 'fwd', { ...base, ...props }));

describe('ForwardingRules', () => {
  it('keys every placement by region and pattern key', () => {
    let rules: ForwardingRules | undefined;
    Testing.synthScope((scope) => {
      rules = new ForwardingRules(scope, 'fwd', base);
    });
    for (const [key, p] of Object.entries(rules!.placements))
      expect(key).toBe(`${p.region}/${p.name.replace('vigil-fwd-', '')}`);
  });

  it('fails when the bus ARN is not an event bus', () => {
    expect(() => build({ centralBusArn: 'arn:aws:sns:eu-west-1:333333333333:alerts' })).toThrow(
      /centralBusArn must be an EventBridge bus ARN/,
    );
  });

  it('fails when there is nothing to forward', () => {
    expect(() => build({ patterns: [] })).toThrow(/patterns is empty/);
  });

  it('fails when the regions leave out the global-events region', () => {
    expect(() => build({ regions: ['eu-west-1'] })).toThrow(/must include us-east-1/);
  });

  it('fails when a pattern is not one EventBridge accepts', () => {
    expect(() =>
      build({ patterns: [{ key: 'bad', scope: 'regional', state: 'ENABLED', pattern: { source: 'aws.ec2' } }] }),
    ).toThrow(/forwarding pattern 'bad'/);
  });

  it('fails when two patterns share a key', () => {
    const [first] = forwardingPatterns(CATALOG);
    expect(() => build({ patterns: [first!, first!] })).toThrow(/appears twice/);
  });
});
