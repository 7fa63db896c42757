/**
 * `npm run findings:ddl`: prints the Athena DDL of the findings lake for this organization (the database
 * and the findings bucket from config/org.json), generated from the OCSF mapping (scripts/findings-lake.ts).
 * Run the output once in the Athena console of the security account (home region), then the queries of
 * docs/findings.md.
 */
import { loadInventory } from '../config/load';
import { findingsNames } from '../config/naming';
import { findingsDdl } from './findings-lake';

const inv = loadInventory(process.env['VIGIL_INVENTORY'] ?? 'config/org.json');
const names = findingsNames(inv);
process.stdout.write(`CREATE DATABASE IF NOT EXISTS ${names.glueDatabase};\n\n`);
process.stdout.write(findingsDdl({ database: names.glueDatabase, bucket: names.bucket }));
