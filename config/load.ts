import { readFileSync } from 'node:fs';
import { InventoryError, assertValidInventory, type OrgInventory } from './inventory';

/** Reads and validates an inventory file; every problem (including unreadable JSON) is an InventoryError. */
export function loadInventory(file: string): OrgInventory {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new InventoryError(file, [
      {
        path: '(file)',
        message: `cannot read it (${(err as Error).message}); run from the project root or set VIGIL_INVENTORY`,
      },
    ]);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new InventoryError(file, [{ path: '(file)', message: `is not valid JSON: ${(err as Error).message}` }]);
  }
  return assertValidInventory(raw, file);
}
