/** The static facts the remediation pipeline decides with, built once per container. */
import type { RemediationConfig } from '../../../config/remediation';
import { compilePattern } from '../../../rules/event-pattern';
import { forwardingPatterns, withoutSuperseded } from '../../../rules/patterns';
import type { Predicate } from '../../../rules/predicates';
import type { Detection, RemediationId } from '../../../rules/types';
import type { HandlerInventory } from '../inventory-view';
import { makePredicateContext } from '../own-calls';
import type { RemediationActionDef, RemediationContext, RemediationEvent } from './types';

/** The static facts the pipeline decides with: built once per container by {@link makeOrchestratorContext}. */
export interface OrchestratorContext {
  readonly config: RemediationConfig;
  readonly inventory: HandlerInventory;
  /** The catalog, by detection id. */
  readonly detections: ReadonlyMap<string, Detection>;
  /**
   * Whether an event really is a finding of a detection (its central pattern, then its predicate):
   * the request names the detection, and vigil acts only when the event agrees.
   */
  readonly confirms: (detection: Detection, event: RemediationEvent) => boolean;
  readonly actions: Readonly<Record<RemediationId, RemediationActionDef>>;
  /** Config facts the actions' `target()` needs (approved admin principals, central bus, …). */
  readonly remediationContext: RemediationContext;
}

/** Inputs of {@link makeOrchestratorContext}. */
export interface OrchestratorContextInput {
  readonly config: RemediationConfig;
  readonly inventory: HandlerInventory;
  readonly catalog: readonly Detection[];
  readonly predicates: Readonly<Record<string, Predicate>>;
  readonly actions: Readonly<Record<RemediationId, RemediationActionDef>>;
  /** Names the inventory view does not carry: the central bus ARN and the deploy role (config/naming.ts). */
  readonly naming: { readonly centralBusArn: string; readonly deployRoleName: string };
}

/** Compiles the catalog's patterns once and assembles the context. Throws on an invalid pattern or unknown predicate. */
export function makeOrchestratorContext(input: OrchestratorContextInput): OrchestratorContext {
  const matchers = new Map<string, (event: RemediationEvent) => boolean>();
  const predicateContext = makePredicateContext({
    ...input.inventory,
    accountIds: Object.keys(input.inventory.accounts),
  });
  for (const d of input.catalog) {
    const pattern = compilePattern(d.pattern);
    const predicate = d.predicate === undefined ? undefined : input.predicates[d.predicate];
    if (d.predicate !== undefined && !predicate) throw new Error(`detection ${d.id}: unknown predicate ${d.predicate}`);
    matchers.set(d.id, (event) => pattern(event) && (!predicate || predicate(event, predicateContext)));
  }
  return {
    config: input.config,
    inventory: input.inventory,
    detections: new Map(input.catalog.map((d) => [d.id, d])),
    confirms: (detection, event) => matchers.get(detection.id)?.(event) ?? false,
    actions: input.actions,
    remediationContext: {
      namePrefix: input.inventory.namePrefix,
      centralBusArn: input.naming.centralBusArn,
      deployRoleName: input.naming.deployRoleName,
      approvedAdminPrincipals: input.config.approvedAdminPrincipals,
      forwardingPatterns: forwardingPatterns(input.catalog),
    },
  };
}

/** The detections an event is a finding of (catalog order), for `npm run plan`. */
export function detectionsFor(event: RemediationEvent, ctx: OrchestratorContext): Detection[] {
  const matched = [...ctx.detections.values()].filter((d) => ctx.confirms(d, event));
  return withoutSuperseded(matched);
}
