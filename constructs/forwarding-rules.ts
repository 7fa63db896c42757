import { CloudwatchEventRule } from '../framework/aws';
import { CloudwatchEventTarget } from '../framework/aws';
import { IamRole } from '../framework/aws';
import { IamRolePolicy } from '../framework/aws';
import { Fn, TerraformIterator, TerraformLocal, type TerraformProvider, Token } from '../framework/cdktf';
import { Construct } from 'constructs';
import { assertValidPattern } from '../rules/pattern-check';
import type { ForwardedPattern } from '../rules/patterns';
import { policyDocument } from './policy-document';

const BUS_ARN = /^arn:aws[a-z-]*:events:[a-z0-9-]+:\d{12}:event-bus\/[\w.-]+$/;

export interface ForwardingRulesProps {
  /** Account the rules live in (the forwarder role trusts EventBridge only for this source account). */
  readonly accountId: string;
  /** ARN of the central security bus that receives the events. */
  readonly centralBusArn: string;
  /** What to forward; one rule per pattern and region. */
  readonly patterns: readonly ForwardedPattern[];
  /** Every region the account forwards from; `regional` patterns go to each of them. */
  readonly regions: readonly string[];
  /** Where CloudTrail records global service events; `global` patterns go only there. */
  readonly globalRegion: string;
  /** Physical name of the forwarder role (IAM is global: one role serves every region). */
  readonly roleName: string;
  /** Prefix of the rule names (`<prefix>-fwd-<key>`). */
  readonly namePrefix: string;
  /** @default - the stack's default AWS provider */
  readonly provider?: TerraformProvider;
}

/** Key of one rule placement in the `for_each` map: `<region>/<pattern key>`. */
export const placementKey = (region: string, key: string): string => `${region}/${key}`;

/**
 * Forwards matching events from a member account's default bus, in every region, to the central bus.
 *
 * One rule + one target resource with `for_each` over (region × pattern), each placed through the
 * AWS provider 6.x `region` argument: one provider and two resource blocks per account instead of a
 * provider alias per region (each alias is a provider process at plan time) and hundreds of blocks
 * (which made synth of a 1,000-account org slow and large).
 */
export class ForwardingRules extends Construct {
  /** ARN of the role EventBridge assumes to put events on the central bus. */
  readonly roleArn: string;
  /** The placements, keyed like the Terraform `for_each` map. */
  readonly placements: Readonly<Record<string, Placement>>;
  /** Event pattern (JSON) per pattern key, as written to the `patterns` local. */
  readonly patterns: Readonly<Record<string, string>>;

  constructor(scope: Construct, id: string, props: ForwardingRulesProps) {
    super(scope, id);
    this.validate(props);
    const { provider } = props;

    // The central bus admits the organization (aws:PrincipalOrgID); with an org-wide grant
    // EventBridge requires the cross-account target to carry a role (EventBridge cross-account docs).
    const role = new IamRole(this, 'role', {
      provider,
      name: props.roleName,
      description: 'EventBridge forwards security events to the central vigil bus',
      assumeRolePolicy: policyDocument([
        {
          Sid: 'EventBridgeOfThisAccountOnly',
          Effect: 'Allow',
          Principal: { Service: 'events.amazonaws.com' },
          Action: 'sts:AssumeRole',
          Condition: { StringEquals: { 'aws:SourceAccount': props.accountId } },
        },
      ]),
    });
    new IamRolePolicy(this, 'role-policy', {
      provider,
      name: 'put-events-on-central-bus',
      role: role.id,
      policy: policyDocument([
        {
          Sid: 'PutEventsOnCentralBusOnly',
          Effect: 'Allow',
          Action: 'events:PutEvents',
          Resource: props.centralBusArn,
        },
      ]),
    });
    this.roleArn = role.arn;

    // Each pattern is written once (a local keyed by pattern key) and looked up per placement:
    // 17 regions would otherwise repeat every pattern 17 times in each member stack.
    const patterns: Record<string, string> = {};
    for (const p of props.patterns) patterns[p.key] = JSON.stringify(p.pattern);
    this.patterns = patterns;
    const patternsLocal = new TerraformLocal(this, 'patterns', patterns);

    const placements: Record<string, Placement> = {};
    for (const region of [...props.regions].sort()) {
      for (const p of props.patterns) {
        if (p.scope === 'global' && region !== props.globalRegion) continue;
        placements[placementKey(region, p.key)] = {
          region,
          name: `${props.namePrefix}-fwd-${p.key}`,
          key: p.key,
          state: p.state,
        };
      }
    }
    this.placements = placements;

    const each = TerraformIterator.fromMap(placements);
    const rule = new CloudwatchEventRule(this, 'rule', {
      provider,
      forEach: each,
      region: each.getString('region'),
      name: each.getString('name'),
      description: `Forward security events to ${props.centralBusArn}`,
      eventPattern: Token.asString(Fn.lookup(patternsLocal.asAnyMap, each.getString('key'))),
      state: each.getString('state'),
    });
    const ruleEach = TerraformIterator.fromResources(rule);
    new CloudwatchEventTarget(this, 'target', {
      provider,
      forEach: ruleEach,
      region: ruleEach.getString('region'),
      rule: ruleEach.getString('name'),
      targetId: 'central-bus',
      arn: props.centralBusArn,
      roleArn: role.arn,
      // EventBridge retries a failed delivery for up to 24 h; keep the maximum.
      retryPolicy: { maximumEventAgeInSeconds: 86_400, maximumRetryAttempts: 185 },
    });
  }

  private validate(props: ForwardingRulesProps): void {
    const where = `ForwardingRules at '${this.node.path}'`;
    if (!BUS_ARN.test(props.centralBusArn)) {
      throw new Error(`${where}: centralBusArn must be an EventBridge bus ARN, got '${props.centralBusArn}'`);
    }
    if (props.patterns.length === 0) throw new Error(`${where}: patterns is empty; is the catalog empty?`);
    if (!props.regions.includes(props.globalRegion)) {
      throw new Error(`${where}: regions must include ${props.globalRegion}, where global service events are recorded`);
    }
    for (const p of props.patterns) assertValidPattern(p.pattern, `${where}: forwarding pattern '${p.key}'`);
    const keys = props.patterns.map((p) => p.key);
    const dup = keys.find((k, i) => keys.indexOf(k) !== i);
    if (dup) throw new Error(`${where}: pattern key '${dup}' appears twice; keys become rule names`);
  }
}

/** One forwarding rule in one region. */
export interface Placement {
  readonly region: string;
  readonly name: string;
  /** Key of the pattern in the `patterns` local. */
  readonly key: string;
  readonly state: string;
}
