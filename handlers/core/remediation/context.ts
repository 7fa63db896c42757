/** The static facts the remediation pipeline decides with, built once per container. */
import type { RemediationConfig } from '../../../config/remediation';
import { forwardingPatterns } from '../../../rules/patterns';
import type { CloudTrailEventBridgeEvent, Predicate } from '../../../rules/predicates';
import type { Detection, RemediationId } from '../../../rules/types';
import type { HandlerInventory } from '../inventory-view';
import { makeTriageContext, type TriageContext, triageMessage } from '../triage';
import type { RemediationActionDef, RemediationContext, RemediationEvent } from './types';

/** The static facts the pipeline decides with: built once per container by {@link makeOrchestratorContext}. */
export interface OrchestratorContext {
  readonly config: RemediationConfig;
  readonly inventory: HandlerInventory;
  /** The catalog, by detection id. */
  readonly detections: ReadonlyMap<string, Detection>;
  /**
   * Whether an event really is a finding of a detection that may be acted on: triage's own decision
   * (handlers/core/triage.ts: loop guard, failed calls, pattern, predicate, supersession) alerts on it,
   * and nothing in it was withheld (an event that could not be read in full, an account not onboarded).
   * The request names the detection; vigil acts only when the event agrees.
   */
  readonly confirms: (detection: Detection, event: RemediationEvent) => boolean;
  /** The triage decision core the confirmation runs on (shared with triage, replay and plan). */
  readonly triage: TriageContext;
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

/** Compiles the catalog once (triage's context) and assembles the context. Throws on an invalid pattern or unknown predicate. */
export function makeOrchestratorContext(input: OrchestratorContextInput): OrchestratorContext {
  const triage = makeTriageContext(input.inventory, input.catalog, input.predicates);
  return {
    config: input.config,
    inventory: input.inventory,
    detections: new Map(input.catalog.map((d) => [d.id, d])),
    triage,
    confirms: (detection, event) => {
      const decision = triageMessage(
        { detectionId: detection.id, event: event as unknown as CloudTrailEventBridgeEvent },
        triage,
      );
      return decision.kind === 'alert' && decision.unreadable === undefined;
    },
    actions: input.actions,
    remediationContext: {
      namePrefix: input.inventory.namePrefix,
      centralBusArn: input.naming.centralBusArn,
      deployRoleName: input.naming.deployRoleName,
      approvedAdminPrincipals: input.config.approvedAdminPrincipals,
      forwardingPatterns: forwardingPatterns(input.catalog),
      organization: {
        organizationId: triage.predicateContext.organizationId,
        organizationAccountIds: triage.predicateContext.organizationAccountIds,
      },
    },
  };
}

/**
 * The detections an event is a finding of (catalog order), for `npm run plan`: each detection whose
 * central rule would queue the event and that triage then alerts on (superseded ones drop there).
 */
export function detectionsFor(event: RemediationEvent, ctx: OrchestratorContext): Detection[] {
  const alerting: Detection[] = [];
  for (const [id, compiled] of ctx.triage.detections) {
    if (!compiled.matches(event)) continue;
    const decision = triageMessage(
      { detectionId: id, event: event as unknown as CloudTrailEventBridgeEvent },
      ctx.triage,
    );
    if (decision.kind === 'alert') alerting.push(compiled.detection);
  }
  return alerting;
}
