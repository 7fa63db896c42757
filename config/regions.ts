/**
 * AWS commercial Regions vigil knows how to deploy to. A Region missing here is rejected by
 * inventory validation (typos such as `eu-west-4` would otherwise only fail at `terraform apply`).
 * GovCloud and China are separate partitions with their own organizations and are not supported.
 */
export const KNOWN_REGIONS: readonly string[] = [
  'af-south-1',
  'ap-east-1',
  'ap-east-2',
  'ap-northeast-1',
  'ap-northeast-2',
  'ap-northeast-3',
  'ap-south-1',
  'ap-south-2',
  'ap-southeast-1',
  'ap-southeast-2',
  'ap-southeast-3',
  'ap-southeast-4',
  'ap-southeast-5',
  'ap-southeast-7',
  'ca-central-1',
  'ca-west-1',
  'eu-central-1',
  'eu-central-2',
  'eu-north-1',
  'eu-south-1',
  'eu-south-2',
  'eu-west-1',
  'eu-west-2',
  'eu-west-3',
  'il-central-1',
  'me-central-1',
  'me-south-1',
  'mx-central-1',
  'sa-east-1',
  'us-east-1',
  'us-east-2',
  'us-west-1',
  'us-west-2',
];

/**
 * IAM, Organizations, CloudFront and global-endpoint STS events are recorded by CloudTrail in
 * us-east-1 only (CloudTrail "global service events"), so their forwarding rules live there.
 */
export const GLOBAL_EVENTS_REGION = 'us-east-1';
