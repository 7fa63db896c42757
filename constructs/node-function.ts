import { CloudwatchLogGroup } from '../framework/aws';
import { IamRole } from '../framework/aws';
import { IamRolePolicy } from '../framework/aws';
import { LambdaFunction } from '../framework/aws';
import { AssetType, type TerraformProvider, TerraformAsset } from '../framework/cdktf';
import { Construct } from 'constructs';
import { type Bundle, bundleFunction } from '../build/bundle';
import { policyDocument, type Statement } from './policy-document';

export interface NodeFunctionProps {
  /** Physical function name (≤ 64 characters). */
  readonly functionName: string;
  /** Path of the entrypoint, e.g. `handlers/entrypoints/triage.ts`. */
  readonly entry: string;
  /** Account the function lives in (the role trusts Lambda only for this account). */
  readonly accountId: string;
  readonly region: string;
  /** Least-privilege permissions beyond writing its own logs. */
  readonly statements: readonly Statement[];
  /** @default - none */
  readonly environment?: Readonly<Record<string, string>>;
  /** Data files shipped next to `index.js` (name → content), e.g. the inventory view. @default - none */
  readonly files?: Readonly<Record<string, string>>;
  /** @default 60 */
  readonly timeoutSeconds?: number;
  /** @default 512 */
  readonly memorySize?: number;
  /** @default 365 */
  readonly logRetentionDays?: number;
  /** KMS key for environment variables and logs. @default - AWS-managed keys */
  readonly kmsKeyArn?: string;
  /** @default - unreserved */
  readonly reservedConcurrency?: number;
  /** @default - the stack's default AWS provider */
  readonly provider?: TerraformProvider;
}

/** A Node.js Lambda function built from an esbuild bundle, with its role and its log group. */
export class NodeFunction extends Construct {
  readonly function: LambdaFunction;
  readonly role: IamRole;
  readonly bundle: Bundle;
  /** ARN derived from the name (usable in policies before the function exists). */
  readonly arn: string;

  constructor(scope: Construct, id: string, props: NodeFunctionProps) {
    super(scope, id);
    if (props.functionName.length > 64) {
      throw new Error(
        `NodeFunction at '${this.node.path}': functionName '${props.functionName}' exceeds 64 characters`,
      );
    }
    const { provider } = props;
    this.arn = `arn:aws:lambda:${props.region}:${props.accountId}:function:${props.functionName}`;
    const logGroupArn = `arn:aws:logs:${props.region}:${props.accountId}:log-group:/aws/lambda/${props.functionName}`;

    // Created by us, not by Lambda on first run, so retention and encryption are set from the start.
    const logGroup = new CloudwatchLogGroup(this, 'logs', {
      provider,
      name: `/aws/lambda/${props.functionName}`,
      retentionInDays: props.logRetentionDays ?? 365,
      ...(props.kmsKeyArn ? { kmsKeyId: props.kmsKeyArn } : {}),
    });
    this.role = new IamRole(this, 'role', {
      provider,
      name: props.functionName,
      assumeRolePolicy: policyDocument([
        {
          Sid: 'LambdaOfThisAccountOnly',
          Effect: 'Allow',
          Principal: { Service: 'lambda.amazonaws.com' },
          Action: 'sts:AssumeRole',
          Condition: { StringEquals: { 'aws:SourceAccount': props.accountId } },
        },
      ]),
    });
    const policy = new IamRolePolicy(this, 'policy', {
      provider,
      name: 'least-privilege',
      role: this.role.id,
      policy: policyDocument([
        {
          Sid: 'OwnLogsOnly',
          Effect: 'Allow',
          Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          Resource: `${logGroupArn}:*`,
        },
        ...props.statements,
      ]),
    });

    this.bundle = bundleFunction(props.functionName, props.entry, props.files);
    const asset = new TerraformAsset(this, 'code', { path: this.bundle.zipPath, type: AssetType.FILE });
    this.function = new LambdaFunction(this, 'function', {
      provider,
      functionName: props.functionName,
      role: this.role.arn,
      runtime: 'nodejs22.x',
      architectures: ['arm64'],
      handler: 'index.handler',
      filename: asset.path,
      sourceCodeHash: this.bundle.sha256,
      timeout: props.timeoutSeconds ?? 60,
      memorySize: props.memorySize ?? 512,
      ...(props.reservedConcurrency !== undefined ? { reservedConcurrentExecutions: props.reservedConcurrency } : {}),
      ...(props.kmsKeyArn ? { kmsKeyArn: props.kmsKeyArn } : {}),
      // Text log format on purpose: handlers write one JSON object per line themselves, and
      // CloudWatch only extracts embedded-metric-format lines that are not wrapped by Lambda.
      ...(props.environment ? { environment: { variables: { ...props.environment } } } : {}),
      dependsOn: [logGroup, policy],
    });
  }
}
