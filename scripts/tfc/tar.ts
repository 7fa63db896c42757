/**
 * A deterministic `.tar.gz` of one folder, the archive format the Terraform Cloud / Enterprise API
 * takes for a configuration version. POSIX ustar entries, sorted by path, with fixed owner, mode and
 * time, so the same stack folder always gives the same bytes (an unchanged stack uploads identically).
 * Local Terraform leftovers are never packed: `.terraform/` (providers, modules), state files and saved
 * plans would leak state or megabytes of binaries into the workspace.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { gzipSync } from 'node:zlib';

const BLOCK = 512;

/** Paths (relative, `/`-separated) that are never packed. */
export function isLocalLeftover(path: string): boolean {
  const name = path.split('/').pop()!;
  return (
    path === '.terraform' ||
    path.startsWith('.terraform/') ||
    /\.tfstate(?:\.backup)?$/.test(name) ||
    name === 'tfplan' ||
    name === '.terraform.tfstate.lock.info'
  );
}

/** Files under `dir`, relative with `/` separators, sorted, leftovers skipped. */
export function packedFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (folder: string) => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const full = join(folder, entry.name);
      const rel = relative(dir, full).split(sep).join('/');
      if (isLocalLeftover(rel)) continue;
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile()) out.push(rel);
      else throw new Error(`${full}: only plain files and folders can be uploaded (found a ${kind(full)})`);
    }
  };
  walk(dir);
  return out.sort();
}

const kind = (path: string) => (statSync(path).isSymbolicLink() ? 'symbolic link' : 'special file');

/** Splits a path into ustar's `prefix` (≤ 155 bytes) and `name` (≤ 100 bytes) at a `/`. */
function splitPath(path: string): { prefix: string; name: string } {
  if (Buffer.byteLength(path) <= 100) return { prefix: '', name: path };
  for (let i = path.lastIndexOf('/'); i > 0; i = path.lastIndexOf('/', i - 1)) {
    const prefix = path.slice(0, i);
    const name = path.slice(i + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(name) <= 100) return { prefix, name };
  }
  throw new Error(`path too long for a tar archive (ustar: 100-byte name, 155-byte folder): ${path}`);
}

function octal(value: number, width: number): string {
  return `${value.toString(8).padStart(width - 1, '0')}\0`;
}

function header(path: string, size: number): Buffer {
  const h = Buffer.alloc(BLOCK, 0);
  const { prefix, name } = splitPath(path);
  h.write(name, 0, 100, 'utf8');
  h.write(octal(0o644, 8), 100, 'ascii'); // mode
  h.write(octal(0, 8), 108, 'ascii'); // uid
  h.write(octal(0, 8), 116, 'ascii'); // gid
  h.write(octal(size, 12), 124, 'ascii');
  h.write(octal(0, 12), 136, 'ascii'); // mtime: the epoch, for identical bytes
  h.write('        ', 148, 'ascii'); // checksum placeholder (spaces while summing)
  h.write('0', 156, 'ascii'); // regular file
  h.write('ustar\u000000', 257, 'binary'); // magic "ustar\0" + version "00"
  h.write(prefix, 345, 155, 'utf8');
  let sum = 0;
  for (const byte of h) sum += byte;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
  return h;
}

/** The `.tar.gz` bytes of `dir` (see the module comment for what is left out). */
export function tarGzFolder(dir: string): Buffer {
  const parts: Buffer[] = [];
  for (const path of packedFiles(dir)) {
    const data = readFileSync(join(dir, ...path.split('/')));
    parts.push(header(path, data.length), data);
    const pad = (BLOCK - (data.length % BLOCK)) % BLOCK;
    if (pad > 0) parts.push(Buffer.alloc(pad, 0));
  }
  parts.push(Buffer.alloc(2 * BLOCK, 0)); // end of archive
  return gzipSync(Buffer.concat(parts), { level: 9 });
}
