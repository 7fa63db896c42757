import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inflateRawSync } from 'node:zlib';
import { zipSync } from '../../build/deterministic-zip';

const entries = [
  { name: 'inventory.json', data: Buffer.from('{"accounts":[]}') },
  { name: 'index.js', data: Buffer.from('exports.handler = async () => 42;\n'.repeat(100)) },
];

describe('zipSync', () => {
  it('is byte-identical for the same entries in any order', () => {
    expect(zipSync(entries).equals(zipSync([...entries].reverse()))).toBe(true);
  });

  it('writes a valid archive whose entries inflate back to the input', () => {
    const zip = zipSync(entries);
    // Local header of the first (sorted) entry: index.js, deflated.
    expect(zip.readUInt32LE(0)).toBe(0x04034b50);
    const nameLength = zip.readUInt16LE(26);
    expect(zip.subarray(30, 30 + nameLength).toString()).toBe('index.js');
    const compressedSize = zip.readUInt32LE(18);
    const data = inflateRawSync(zip.subarray(30 + nameLength, 30 + nameLength + compressedSize));
    expect(data.equals(entries[1]!.data)).toBe(true);
    expect(zip.readUInt32LE(zip.length - 22)).toBe(0x06054b50);
    expect(zip.readUInt16LE(zip.length - 22 + 10)).toBe(2);
  });

  it('gives the bytes of a fresh deflate for content it has zipped before, and tells contents apart', () => {
    const first = zipSync(entries);
    const copy = entries.map((e) => ({ name: e.name, data: Buffer.from(e.data) }));
    const changed = [entries[0]!, { name: 'index.js', data: Buffer.from('exports.handler = async () => 43;\n') }];
    const inflatedIndex = (zip: Buffer) => {
      const nameLength = zip.readUInt16LE(26);
      return inflateRawSync(zip.subarray(30 + nameLength, 30 + nameLength + zip.readUInt32LE(18))).toString();
    };

    expect(zipSync(copy).equals(first)).toBe(true);
    expect(inflatedIndex(zipSync(changed))).toBe('exports.handler = async () => 43;\n');
    expect(inflatedIndex(zipSync(entries))).toBe(entries[1]!.data.toString());
  });

  it('is readable by a standard unzip implementation', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-zip-'));
    const file = join(dir, 'a.zip');
    writeFileSync(file, zipSync(entries));
    const listing = execFileSync('python3', [
      '-c',
      'import sys,zipfile; z=zipfile.ZipFile(sys.argv[1]); assert z.testzip() is None; print(z.read("inventory.json").decode())',
      file,
    ]).toString();
    expect(listing.trim()).toBe('{"accounts":[]}');
    expect(readFileSync(file).length).toBeGreaterThan(0);
  });
});
