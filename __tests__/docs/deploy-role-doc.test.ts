import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../config/load';
import { RESOURCE_TYPE_GRANTS } from '../../derive/deploy-permissions';
import {
  DEPLOY_ROLE_DOCS_PATH,
  renderDeployRoleDocs,
  TABLE_BEGIN,
  withDeployRoleTable,
} from '../../scripts/gen-deploy-role-docs';

const file = join(__dirname, '..', '..', DEPLOY_ROLE_DOCS_PATH);
const rendered = renderDeployRoleDocs(loadConfig());

describe('docs/deploy-role.md', () => {
  it('matches the derivation (fails when stale: run `npm run docs:deploy-role`)', () => {
    expect(readFileSync(file, 'utf8')).toBe(rendered);
  });

  it("is summarized in README's table (fails when stale: run `npm run docs:deploy-role`)", () => {
    const readme = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');
    expect(readme).toContain(TABLE_BEGIN);
    expect(readme).toBe(withDeployRoleTable(readme, loadConfig()));
  });

  it('has a section per stack type and shows the account placeholder readably', () => {
    for (const type of ['member', 'security', 'log-archive', 'org-trail']) expect(rendered).toContain(`\n## ${type}\n`);
    expect(rendered).toContain('arn:aws:iam::<account>:role/vigil-*');
    expect(rendered).not.toContain('${AWS::AccountId}');
  });

  it("lists every action mapped for the example org's resource types", () => {
    for (const type of ['aws_cloudtrail', 'aws_s3_bucket', 'aws_lambda_function', 'aws_iam_role']) {
      expect(rendered).toContain(`\`${type}\``);
      const actions = RESOURCE_TYPE_GRANTS[type]!.flatMap(
        (g) => g({ namePrefix: 'vigil', organizationId: 'o-x', scpTargets: [], killSwitchParameter: '/x' }).actions,
      );
      for (const action of actions) expect(rendered).toContain(`\`${action}\``);
    }
  });
});
