import { AccountClient, ListRegionsCommand } from '@aws-sdk/client-account';
import { mockClient } from 'aws-sdk-client-mock';
import { makeOptInRegionReader } from '../../../handlers/adapters/opt-in-regions';

const account = mockClient(AccountClient);
const client = new AccountClient({ region: 'us-east-1' });
const SECURITY = '333333333333';

beforeEach(() => account.reset());

describe('opt-in region reader', () => {
  it('asks about a member by AccountId, for enabled and enabling regions, across every page', async () => {
    account
      .on(ListRegionsCommand)
      .resolvesOnce({
        Regions: [
          { RegionName: 'me-south-1', RegionOptStatus: 'ENABLED' },
          { RegionName: 'eu-west-1', RegionOptStatus: 'ENABLED_BY_DEFAULT' },
        ],
        NextToken: 'n2',
      })
      .resolves({
        Regions: [{ RegionName: 'ap-east-1', RegionOptStatus: 'ENABLING' }, { RegionOptStatus: 'ENABLED' }],
      });

    await expect(makeOptInRegionReader(SECURITY, client).list('444444444444')).resolves.toEqual([
      'ap-east-1',
      'me-south-1',
    ]);
    const inputs = account.commandCalls(ListRegionsCommand).map((c) => c.args[0].input);
    expect(inputs).toEqual([
      { AccountId: '444444444444', RegionOptStatusContains: ['ENABLED', 'ENABLING'], MaxResults: 50 },
      { AccountId: '444444444444', RegionOptStatusContains: ['ENABLED', 'ENABLING'], MaxResults: 50, NextToken: 'n2' },
    ]);
  });

  it('asks about its own account without AccountId, as the API requires', async () => {
    account.on(ListRegionsCommand).resolves({ Regions: [] });
    await expect(makeOptInRegionReader(SECURITY, client).list(SECURITY)).resolves.toEqual([]);
    expect(account.commandCalls(ListRegionsCommand)[0]!.args[0].input).toEqual({
      RegionOptStatusContains: ['ENABLED', 'ENABLING'],
      MaxResults: 50,
    });
  });

  it('lets an access error through for the flow to log (it never guesses regions)', async () => {
    account
      .on(ListRegionsCommand)
      .rejects(Object.assign(new Error('not authorized'), { name: 'AccessDeniedException' }));
    await expect(makeOptInRegionReader(SECURITY, client).list('444444444444')).rejects.toThrow('not authorized');
  });
});
