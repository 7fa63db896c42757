import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { remediationIamActions, remediationUndoIamActions } from '../../../handlers/core/remediation/registry';
import { REMEDIATION_ROLE_ACTIONS, UNDO_ROLE_ACTIONS } from '../../../handlers/core/remediation/role-actions';
import { renderRoleActions, ROLE_ACTIONS_PATH } from '../../../scripts/gen-role-actions';

describe('handlers/core/remediation/role-actions.ts', () => {
  it('is what npm run gen:role-actions writes from the registry (run it after changing an action)', () => {
    expect(readFileSync(join(__dirname, '..', '..', '..', ROLE_ACTIONS_PATH), 'utf8')).toBe(renderRoleActions());
  });

  it("lists exactly the registry's remediation and undo actions", () => {
    expect([REMEDIATION_ROLE_ACTIONS, UNDO_ROLE_ACTIONS]).toEqual([
      remediationIamActions(),
      remediationUndoIamActions(),
    ]);
    expect(REMEDIATION_ROLE_ACTIONS).toContain('ec2:RevokeSecurityGroupIngress');
  });
});
