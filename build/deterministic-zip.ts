/**
 * A minimal ZIP writer with fixed timestamps and sorted entries, so a Lambda package built twice
 * from the same files is byte-identical (synth determinism, stable `source_code_hash`). cdktf's own
 * archive asset stamps file modification times into the zip.
 */
import { createHash } from 'node:crypto';
import { crc32, deflateRawSync } from 'node:zlib';

/** 1980-01-01 00:00:00, the earliest MS-DOS date a ZIP entry can carry. */
const DOS_TIME = 0;
const DOS_DATE = (0 << 9) | (1 << 5) | 1;

export interface ZipEntry {
  /** Path inside the archive, `/`-separated. */
  readonly name: string;
  readonly data: Buffer;
  /** `data` already deflated (raw, level 9) with its CRC-32, e.g. from a cache; deflated here when absent. */
  readonly deflated?: Deflated;
}

/** An entry's content deflated (raw deflate, level 9) and the CRC-32 of the uncompressed bytes. */
export interface Deflated {
  readonly compressed: Buffer;
  readonly crc: number;
}

/**
 * Deflated bytes and CRC per entry content, for the life of the process: synth zips the same bundle for several
 * stacks and tests (deflate at level 9 costs ~100 ms a bundle; hashing it to find it again, ~2 ms). Bounded: past
 * MAX_DEFLATED contents it starts over.
 */
const deflated = new Map<string, Deflated>();
const MAX_DEFLATED = 64;
export function deflate(data: Buffer): Deflated {
  const key = createHash('sha256').update(data).digest('hex');
  let found = deflated.get(key);
  if (found === undefined) {
    if (deflated.size >= MAX_DEFLATED) deflated.clear();
    found = { compressed: deflateRawSync(data, { level: 9 }), crc: crc32(data) >>> 0 };
    deflated.set(key, found);
  }
  return found;
}

/** Builds a deflated ZIP archive of the entries (sorted by name). */
export function zipSync(entries: readonly ZipEntry[]): Buffer {
  const sorted = [...entries].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const entry of sorted) {
    const name = Buffer.from(entry.name, 'utf8');
    const { compressed, crc } = entry.deflated ?? deflate(entry.data);

    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0); // local file header signature
    local.writeUInt16LE(20, 4); // version needed to extract
    local.writeUInt16LE(0x0800, 6); // flags: UTF-8 names
    local.writeUInt16LE(8, 8); // method: deflate
    local.writeUInt16LE(DOS_TIME, 10);
    local.writeUInt16LE(DOS_DATE, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(compressed.length, 18);
    local.writeUInt32LE(entry.data.length, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(0, 28); // extra field length
    locals.push(local, name, compressed);

    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0); // central directory header signature
    central.writeUInt16LE((3 << 8) | 20, 4); // made by: UNIX, spec 2.0
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(8, 10);
    central.writeUInt16LE(DOS_TIME, 12);
    central.writeUInt16LE(DOS_DATE, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(compressed.length, 20);
    central.writeUInt32LE(entry.data.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt16LE(0, 30); // extra
    central.writeUInt16LE(0, 32); // comment
    central.writeUInt16LE(0, 34); // disk number
    central.writeUInt16LE(0, 36); // internal attributes
    central.writeUInt32LE(((0o100644 << 16) >>> 0) as number, 38); // external: regular file, rw-r--r--
    central.writeUInt32LE(offset, 42);
    centrals.push(central, name);

    offset += local.length + name.length + compressed.length;
  }
  const centralSize = centrals.reduce((n, b) => n + b.length, 0);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0); // end of central directory signature
  end.writeUInt16LE(sorted.length, 8);
  end.writeUInt16LE(sorted.length, 10);
  end.writeUInt32LE(centralSize, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, ...centrals, end]);
}
