import { IamRole, IamRolePolicy, SchedulerSchedule } from '../framework/aws';
import { TerraformIterator, type TerraformProvider } from '../framework/cdktf';
import { Construct } from 'constructs';
import { policyDocument } from './policy-document';

/**
 * EventBridge Scheduler universal targets (`arn:aws:scheduler:::aws-sdk:<service>:<apiAction>`): the
 * schedule calls the API itself with the role, no Lambda in between.
 */
export const PUT_PARAMETER_TARGET = 'arn:aws:scheduler:::aws-sdk:ssm:putParameter';
export const TAG_ROLE_TARGET = 'arn:aws:scheduler:::aws-sdk:iam:tagRole';

export interface HeartbeatProps {
  /** The member account (the role trusts EventBridge Scheduler of this account only). */
  readonly accountId: string;
  /** Every region the account forwards from: one regional heartbeat schedule in each. */
  readonly regions: readonly string[];
  /** Where global-service events (IAM) are recorded: the global heartbeat's schedule lives there. */
  readonly globalRegion: string;
  /** The scheduler role (`heartbeatRoleName()`); the global heartbeat tags this role itself. */
  readonly roleName: string;
  /** The SSM parameter the regional heartbeat overwrites (`heartbeatParameterName()`), starting with `/`. */
  readonly parameterName: string;
  /** Schedule names (`heartbeatScheduleNames()`), in the default schedule group. */
  readonly scheduleNames: { readonly regional: string; readonly global: string };
  /** The tag the global heartbeat puts on the role; Terraform sets the same one, so a plan shows no drift. */
  readonly tag: { readonly key: string; readonly value: string };
  /** Minutes between heartbeats, 1 to 60. */
  readonly intervalMinutes: number;
  /** @default - the stack's default AWS provider */
  readonly provider?: TerraformProvider;
}

/** One heartbeat schedule, keyed like the Terraform `for_each` map (`<region>/<regional|global>`). */
export interface HeartbeatPlacement {
  readonly region: string;
  readonly name: string;
  readonly path: 'regional' | 'global';
  /** The universal target. */
  readonly arn: string;
  /** The API request (JSON), in the target's parameter names. */
  readonly input: string;
}

/**
 * vigil's heartbeat canaries in one member account (issue #11): an EventBridge Scheduler schedule per enabled
 * region makes a harmless write whose CloudTrail management event travels the production path (default bus →
 * forwarding rule → central bus → central rule → triage), so silence of a path is measured, not assumed.
 *
 * - Regional path: `ssm:PutParameter` of a standard-tier String parameter with Overwrite, in every region.
 *   Free (standard parameters, standard throughput), a write management event in every region SSM runs, and
 *   the parameter's history keeps only its last 100 versions (SSM drops the oldest).
 * - Global path: `iam:TagRole` of the heartbeat role itself with a constant tag, from us-east-1: an IAM write
 *   is a global-service event, recorded only in us-east-1, so it proves the account's IAM/Organizations path.
 *   Tagging its own role touches nothing else, and Terraform sets the same tag (no drift, no plan noise).
 *
 * One role serves both: it trusts scheduler.amazonaws.com of this account's default schedule group only
 * (`aws:SourceAccount`, `aws:SourceArn`; passing the role is the deploy role's alone, by SCP), and may make
 * exactly these two calls on exact ARNs.
 */
export class Heartbeat extends Construct {
  readonly roleArn: string;
  readonly placements: Readonly<Record<string, HeartbeatPlacement>>;

  constructor(scope: Construct, id: string, props: HeartbeatProps) {
    super(scope, id);
    this.validate(props);
    const { provider, accountId, roleName, parameterName, tag } = props;
    const regions = [...props.regions].sort();
    // Scheduler sets aws:SourceArn to the schedule *group* ARN when it assumes an execution role (the
    // aws-cdk scheduler targets pin `schedule-group/default` the same way): the role is bound to this
    // account's default group; who may attach it to a schedule there is iam:PassRole, which the guardrail
    // SCP allows the deploy role only.
    const groupArnPattern = `arn:aws:scheduler:*:${accountId}:schedule-group/default`;

    const role = new IamRole(this, 'role', {
      provider,
      name: roleName,
      description: "vigil's heartbeat: EventBridge Scheduler writes the heartbeat parameter and tags this role",
      assumeRolePolicy: policyDocument([
        {
          Sid: 'HeartbeatSchedulesOfThisAccountOnly',
          Effect: 'Allow',
          Principal: { Service: 'scheduler.amazonaws.com' },
          Action: 'sts:AssumeRole',
          Condition: {
            StringEquals: { 'aws:SourceAccount': accountId },
            ArnLike: { 'aws:SourceArn': groupArnPattern },
          },
        },
      ]),
      tags: { [tag.key]: tag.value },
    });
    const ownArn = `arn:aws:iam::${accountId}:role/${roleName}`;
    new IamRolePolicy(this, 'role-policy', {
      provider,
      name: 'heartbeat-calls-only',
      role: role.id,
      policy: policyDocument([
        {
          Sid: 'OverwriteTheHeartbeatParameter',
          Effect: 'Allow',
          Action: 'ssm:PutParameter',
          Resource: regions.map((r) => `arn:aws:ssm:${r}:${accountId}:parameter${parameterName}`),
        },
        {
          Sid: 'TagThisRoleWithTheHeartbeatTag',
          Effect: 'Allow',
          Action: 'iam:TagRole',
          Resource: ownArn,
          Condition: {
            'ForAllValues:StringEquals': { 'aws:TagKeys': [tag.key] },
            StringEquals: { [`aws:RequestTag/${tag.key}`]: tag.value },
          },
        },
      ]),
    });
    this.roleArn = role.arn;

    const minutes = props.intervalMinutes;
    const placements: Record<string, HeartbeatPlacement> = {};
    for (const region of regions) {
      placements[`${region}/regional`] = {
        region,
        name: props.scheduleNames.regional,
        path: 'regional',
        arn: PUT_PARAMETER_TARGET,
        // <aws.scheduler.scheduled-time> is a Scheduler context attribute; the value is informational only.
        input: JSON.stringify({
          Name: parameterName,
          Value: '<aws.scheduler.scheduled-time>',
          Type: 'String',
          Tier: 'Standard',
          Overwrite: true,
        }),
      };
    }
    placements[`${props.globalRegion}/global`] = {
      region: props.globalRegion,
      name: props.scheduleNames.global,
      path: 'global',
      arn: TAG_ROLE_TARGET,
      input: JSON.stringify({ RoleName: roleName, Tags: [{ Key: tag.key, Value: tag.value }] }),
    };
    this.placements = placements;

    const each = TerraformIterator.fromMap(placements);
    new SchedulerSchedule(this, 'schedule', {
      provider,
      forEach: each,
      region: each.getString('region'),
      name: each.getString('name'),
      groupName: 'default',
      description: "vigil heartbeat: proves this account and region's path to the central bus (issue #11)",
      scheduleExpression: `rate(${minutes} ${minutes === 1 ? 'minute' : 'minutes'})`,
      flexibleTimeWindow: { mode: 'OFF' },
      state: 'ENABLED',
      target: {
        arn: each.getString('arn'),
        roleArn: role.arn,
        input: each.getString('input'),
        // A retried heartbeat is a new call with a new eventTime: retry briefly, never past the next one.
        retryPolicy: { maximumEventAgeInSeconds: Math.max(60, minutes * 60), maximumRetryAttempts: 2 },
      },
    });
  }

  private validate(props: HeartbeatProps): void {
    const where = `Heartbeat at '${this.node.path}'`;
    if (!/^\d{12}$/.test(props.accountId)) throw new Error(`${where}: accountId must be 12 digits`);
    if (!props.regions.includes(props.globalRegion)) {
      throw new Error(`${where}: regions must include ${props.globalRegion}, where the global heartbeat runs`);
    }
    if (!props.parameterName.startsWith('/')) throw new Error(`${where}: parameterName must start with '/'`);
    if (!(Number.isInteger(props.intervalMinutes) && props.intervalMinutes >= 1 && props.intervalMinutes <= 60)) {
      throw new Error(`${where}: intervalMinutes must be a whole number from 1 to 60, got ${props.intervalMinutes}`);
    }
    if (!props.scheduleNames.global.startsWith(props.scheduleNames.regional)) {
      throw new Error(
        `${where}: the global schedule's name must extend the regional one (the role trusts that prefix)`,
      );
    }
  }
}
