import { Testing } from '../../framework/cdktf';
import type { BackendConfig } from '../../config/inventory';
import { MemberStack } from '../../stacks/member-stack';
import { remediationPermissions } from '../../derive/remediation-permissions';
import { SecurityStack } from '../../stacks/security-stack';
import { CATALOG } from '../../rules/catalog';
import { forwardingPatterns } from '../../rules/patterns';
import { inventoryWith, TEST_ALERTING, TEST_INVENTORY, TEST_REMEDIATION } from '../fixtures/inventory';
import { synthJson } from '../helpers/synth';

const withBackend = (backend: BackendConfig) => inventoryWith((i) => (i.backend = backend));
const member = (backend: BackendConfig) =>
  synthJson(
    new MemberStack(Testing.app(), 'member-444444444444', {
      inventory: withBackend(backend),
      account: TEST_INVENTORY.accounts[3]!,
      patterns: forwardingPatterns(CATALOG),
      permissions: remediationPermissions(CATALOG),
    }),
  );

describe('backends', () => {
  it('defaults to a local state file per stack, outside cdktf.out and machine-independent', () => {
    expect(member({ type: 'local' })['terraform']['backend']).toEqual({
      local: { path: '../../../terraform-state/member-444444444444.tfstate' },
    });
  });

  it('uses one encrypted S3 key per stack with native locking', () => {
    expect(
      member({ type: 's3', bucket: 'acme-tfstate', region: 'eu-west-1', keyPrefix: 'security/vigil' })['terraform'][
        'backend'
      ],
    ).toEqual({
      s3: {
        bucket: 'acme-tfstate',
        key: 'security/vigil/member-444444444444.tfstate',
        region: 'eu-west-1',
        encrypt: true,
        use_lockfile: true,
      },
    });
  });

  it('locks with DynamoDB and assumes a state role when configured', () => {
    const s3 = member({
      type: 's3',
      bucket: 'acme-tfstate',
      region: 'eu-west-1',
      dynamodbTable: 'tf-locks',
      roleArn: 'arn:aws:iam::111111111111:role/tfstate',
    })['terraform']['backend']['s3'];
    expect(s3.dynamodb_table).toBe('tf-locks');
    expect(s3.use_lockfile).toBeUndefined();
    expect(s3.assume_role).toEqual({ role_arn: 'arn:aws:iam::111111111111:role/tfstate' });
    expect(s3.key).toBe('vigil/member-444444444444.tfstate');
  });

  it('maps every stack to its own Terraform Cloud workspace', () => {
    const tfc: BackendConfig = { type: 'tfc', organization: 'acme', workspacePattern: 'vigil-{stack}' };
    expect(member(tfc)['terraform']['cloud']).toEqual({
      hostname: 'app.terraform.io',
      organization: 'acme',
      workspaces: { name: 'vigil-member-444444444444' },
    });
    const security = synthJson(
      new SecurityStack(Testing.app(), 'security', {
        inventory: withBackend(tfc),
        catalog: CATALOG,
        alerting: TEST_ALERTING,
        remediation: TEST_REMEDIATION,
      }),
    );
    expect(security['terraform']['cloud']['workspaces']).toEqual({ name: 'vigil-security' });
  });
});
