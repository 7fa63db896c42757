/**
 * The inventory table: the account view (accounts, OUs, owners, the management account) that triage,
 * remediate and remediate-member read at run time (handlers/adapters/inventory-source.ts). Only a
 * deploy writes it (the guardrail SCP's TableItems statement: the deploy role and vigil's functions,
 * and no function's role may write it), so onboarding or offboarding an account is a change of these
 * items in the security stack and never of function code. Point-in-time recovery keeps its history.
 */
import { DynamodbTableItem, type KmsKey } from '../../framework/aws';
import { tableNames } from '../../config/naming';
import { inventoryTableItems } from '../../handlers/functions/published';
import type { Statement } from '../policy-document';
import { type SecurityContext, secureTable, tableArn } from './context';

/** Creates the table and its items; returns the statement that lets a function read them. */
export function inventoryTable(ctx: SecurityContext, key: KmsKey): { readStatement: Statement } {
  const name = tableNames(ctx.inv).inventory;
  const table = secureTable(ctx, key, 'inventory-table', {
    name,
    hashKey: 'pk',
    attribute: [{ name: 'pk', type: 'S' }],
  });
  const { chunks, head } = inventoryTableItems(ctx.inv);
  // Chunks (keys and resource names) carry the view's hash: a new view adds new items and removes the
  // old ones, and the head (written after the new chunks, which it depends on) moves from one to the
  // other. A reader that meets a half-applied deploy finds a hash mismatch or a missing chunk, keeps the
  // view it has or retries (adapters/inventory-source.ts); it never reads a mix of two views.
  const chunkItems = chunks.map(
    (c, i) =>
      new DynamodbTableItem(ctx.scope, `inventory-chunk-${c.pk.split('#')[1]!.slice(0, 16)}-${i}`, {
        provider: ctx.provider,
        tableName: table.name,
        hashKey: 'pk',
        item: c.item,
      }),
  );
  new DynamodbTableItem(ctx.scope, 'inventory-head', {
    provider: ctx.provider,
    tableName: table.name,
    hashKey: 'pk',
    item: head.item,
    dependsOn: chunkItems,
  });
  return {
    readStatement: {
      Sid: 'ReadInventoryView',
      Effect: 'Allow',
      // The source reads the head item and the chunks it names, nothing else (adapters/inventory-source.ts).
      Action: ['dynamodb:GetItem', 'dynamodb:BatchGetItem'],
      Resource: tableArn(ctx, name),
    },
  };
}
