/**
 * The inventory table as the security stack writes it, served to a mocked DynamoDB client: tests read
 * the account view through the real adapter (handlers/adapters/inventory-source.ts) from exactly the
 * items `aws_dynamodb_table_item` would hold.
 */
import {
  type AttributeValue,
  BatchGetItemCommand,
  type DynamoDBClient,
  GetItemCommand,
} from '@aws-sdk/client-dynamodb';
import type { AwsClientStub } from 'aws-sdk-client-mock';
import type { OrgInventory } from '../../config/inventory';
import type { HandlerInventory } from '../../handlers/core/inventory-view';
import { inventoryTableItems, viewTableItems } from '../../handlers/functions/published';

export type Items = Map<string, Record<string, AttributeValue>>;

/** The table's items for `inv`, keyed by `pk` (what a deploy of the security stack writes). */
export function inventoryItems(inv: OrgInventory | HandlerInventory): Items {
  const { chunks, head } = 'version' in inv ? viewTableItems(inv) : inventoryTableItems(inv);
  return new Map([...chunks, head].map((i) => [i.pk, JSON.parse(i.item) as Record<string, AttributeValue>]));
}

/**
 * Answers GetItem and BatchGetItem on `tableName` from `items` (read on every call, so a test can swap
 * the map's content to "deploy" another view). Other tables get the stub's defaults.
 */
export function serveInventoryTable(stub: AwsClientStub<DynamoDBClient>, tableName: string, items: () => Items): void {
  stub.on(GetItemCommand, { TableName: tableName }).callsFake((input: { Key: { pk: { S: string } } }) => {
    const item = items().get(input.Key.pk.S);
    return item ? { Item: item } : {};
  });
  stub
    .on(BatchGetItemCommand)
    .callsFake((input: { RequestItems: Record<string, { Keys: Array<{ pk: { S: string } }> }> }) => {
      const keys = input.RequestItems[tableName]?.Keys ?? [];
      const found = keys.map((k) => items().get(k.pk.S)).filter((i): i is Record<string, AttributeValue> => !!i);
      return { Responses: { [tableName]: found } };
    });
}
