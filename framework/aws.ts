/**
 * The AWS provider classes vigil uses, each imported by its deep path (the provider's index loads every
 * resource type: seconds of start-up). The only module that names the provider package: switching to
 * CDK Terrain (`@cdktn/provider-aws`) or another provider build changes these paths and nothing else.
 */
export { Cloudtrail } from '@cdktf/provider-aws/lib/cloudtrail';
export { CloudformationStackSet } from '@cdktf/provider-aws/lib/cloudformation-stack-set';
export { CloudformationStackSetInstance } from '@cdktf/provider-aws/lib/cloudformation-stack-set-instance';
export { CloudwatchDashboard } from '@cdktf/provider-aws/lib/cloudwatch-dashboard';
export { CloudwatchEventArchive } from '@cdktf/provider-aws/lib/cloudwatch-event-archive';
export { CloudwatchEventBus } from '@cdktf/provider-aws/lib/cloudwatch-event-bus';
export { CloudwatchEventBusPolicy } from '@cdktf/provider-aws/lib/cloudwatch-event-bus-policy';
export { CloudwatchEventRule } from '@cdktf/provider-aws/lib/cloudwatch-event-rule';
export { CloudwatchEventTarget } from '@cdktf/provider-aws/lib/cloudwatch-event-target';
export { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
export {
  CloudwatchMetricAlarm,
  type CloudwatchMetricAlarmConfig,
} from '@cdktf/provider-aws/lib/cloudwatch-metric-alarm';
export { DynamodbTable, type DynamodbTableConfig } from '@cdktf/provider-aws/lib/dynamodb-table';
export { DynamodbTableItem } from '@cdktf/provider-aws/lib/dynamodb-table-item';
export { IamOpenidConnectProvider } from '@cdktf/provider-aws/lib/iam-openid-connect-provider';
export { IamPolicy } from '@cdktf/provider-aws/lib/iam-policy';
export { IamRole } from '@cdktf/provider-aws/lib/iam-role';
export { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
export { KinesisFirehoseDeliveryStream } from '@cdktf/provider-aws/lib/kinesis-firehose-delivery-stream';
export { KmsAlias } from '@cdktf/provider-aws/lib/kms-alias';
export { KmsKey } from '@cdktf/provider-aws/lib/kms-key';
export { LambdaEventSourceMapping } from '@cdktf/provider-aws/lib/lambda-event-source-mapping';
export { LambdaFunction } from '@cdktf/provider-aws/lib/lambda-function';
export { LambdaFunctionEventInvokeConfig } from '@cdktf/provider-aws/lib/lambda-function-event-invoke-config';
export { LambdaFunctionUrl } from '@cdktf/provider-aws/lib/lambda-function-url';
export { LambdaPermission } from '@cdktf/provider-aws/lib/lambda-permission';
export { OrganizationsDelegatedAdministrator } from '@cdktf/provider-aws/lib/organizations-delegated-administrator';
export { OrganizationsPolicy } from '@cdktf/provider-aws/lib/organizations-policy';
export { OrganizationsPolicyAttachment } from '@cdktf/provider-aws/lib/organizations-policy-attachment';
export { AwsProvider } from '@cdktf/provider-aws/lib/provider';
export { S3Bucket } from '@cdktf/provider-aws/lib/s3-bucket';
export { S3BucketLifecycleConfiguration } from '@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration';
export { S3BucketNotification } from '@cdktf/provider-aws/lib/s3-bucket-notification';
export { S3BucketOwnershipControls } from '@cdktf/provider-aws/lib/s3-bucket-ownership-controls';
export { S3BucketPolicy } from '@cdktf/provider-aws/lib/s3-bucket-policy';
export { S3BucketPublicAccessBlock } from '@cdktf/provider-aws/lib/s3-bucket-public-access-block';
export { S3BucketServerSideEncryptionConfigurationA } from '@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration';
export { S3BucketVersioningA } from '@cdktf/provider-aws/lib/s3-bucket-versioning';
export { SchedulerSchedule } from '@cdktf/provider-aws/lib/scheduler-schedule';
export { SnsTopic } from '@cdktf/provider-aws/lib/sns-topic';
export { SnsTopicSubscription } from '@cdktf/provider-aws/lib/sns-topic-subscription';
export { SqsQueue } from '@cdktf/provider-aws/lib/sqs-queue';
export { SqsQueuePolicy } from '@cdktf/provider-aws/lib/sqs-queue-policy';
export { SsmParameter } from '@cdktf/provider-aws/lib/ssm-parameter';
