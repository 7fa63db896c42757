/** The one guard for "a JSON object" (not null, not an array), shared by rules and handlers. */
export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
