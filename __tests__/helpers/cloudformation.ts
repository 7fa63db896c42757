/**
 * Evaluates the CloudFormation intrinsics vigil's generated templates use (`Fn::Equals`, `Fn::Or`, `Fn::If`,
 * `Fn::Sub` with pseudo parameters, `Ref: AWS::NoValue`) for one account, the way CloudFormation renders a
 * StackSet instance: tests then read the resources a given account actually gets. Anything else throws.
 */
import type { Json } from './synth';

const NO_VALUE = Symbol('AWS::NoValue');

/** The template with every condition and intrinsic resolved for `accountId` (resources whose Condition is false removed). */
export function renderTemplate(template: Json, accountId: string, region = 'eu-west-1'): Json {
  const pseudo: Record<string, string> = {
    'AWS::AccountId': accountId,
    'AWS::Region': region,
    'AWS::Partition': 'aws',
  };
  const conditions = new Map<string, boolean>();
  const condition = (name: string): boolean => {
    if (!conditions.has(name)) {
      const body = template['Conditions']?.[name];
      if (body === undefined) throw new Error(`template has no condition ${name}`);
      conditions.set(name, Boolean(resolve(body)));
    }
    return conditions.get(name)!;
  };
  const resolve = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(resolve).filter((x) => x !== NO_VALUE);
    if (v === null || typeof v !== 'object') return v;
    const entries = Object.entries(v as Json);
    if (entries.length === 1) {
      const [key, arg] = entries[0]!;
      switch (key) {
        case 'Ref':
          if (arg === 'AWS::NoValue') return NO_VALUE;
          if (arg in pseudo) return pseudo[arg as string];
          throw new Error(`unsupported Ref ${String(arg)}`);
        case 'Fn::Equals': {
          const [a, b] = (arg as unknown[]).map(resolve);
          return a === b;
        }
        case 'Fn::Or':
          return (arg as unknown[]).some((x) => resolve(x) === true);
        case 'Fn::If': {
          const [name, yes, no] = arg as [string, unknown, unknown];
          return resolve(condition(name) ? yes : no);
        }
        case 'Fn::Sub':
          if (typeof arg !== 'string') throw new Error('Fn::Sub with variables is not supported');
          return arg.replace(/\$\{([^}]+)\}/g, (_m, name: string) => {
            if (!(name in pseudo)) throw new Error(`Fn::Sub names ${name}, which is not a pseudo parameter`);
            return pseudo[name]!;
          });
        default:
          if (key.startsWith('Fn::')) throw new Error(`unsupported intrinsic ${key}`);
      }
    }
    const out: Json = {};
    for (const [k, x] of entries) {
      const r = resolve(x);
      if (r !== NO_VALUE) out[k] = r;
    }
    return out;
  };
  const resources: Json = {};
  for (const [id, r] of Object.entries<Json>(template['Resources'] ?? {})) {
    if (r['Condition'] !== undefined && !condition(r['Condition'])) continue;
    resources[id] = resolve(r);
  }
  return { ...template, Conditions: undefined, Resources: resources };
}
