// Azure Resource Manager events about the scale sets that back clusters (an Event Grid subscription on the
// resource group, filtered to Microsoft.Compute): which cluster's monitor a VMSS event concerns, so it reconciles
// at once instead of at its next periodic pass.
export interface ComputeEvent {
  eventId: string;
  eventType: string;
  /** The ARM id of the resource the operation touched (subject of ARM events). */
  resourceId: string;
  operationName?: string;
  /** `<clusterTag>` of the scale set `batchai-<clusterTag>` (see vmssComputePool), when the event is about one. */
  clusterTag?: string;
}

const scaleSetPattern =
  /\/providers\/Microsoft\.Compute\/virtualMachineScaleSets\/batchai-([a-z0-9-]+)(?:\/|$)/i;

/** Reads an ARM event of either schema; undefined when it is not a Microsoft.Resources event with a subject. */
export function parseComputeEvent(event: unknown): ComputeEvent | undefined {
  if (typeof event !== 'object' || event === null) return undefined;
  const e = event as Record<string, unknown>;
  const type = typeof e.specversion === 'string' ? e.type : e.eventType;
  if (typeof type !== 'string' || !type.startsWith('Microsoft.Resources.')) return undefined;
  if (typeof e.subject !== 'string' || typeof e.id !== 'string') return undefined;
  const data = (typeof e.data === 'object' && e.data !== null ? e.data : {}) as Record<string, unknown>;
  const tag = scaleSetPattern.exec(e.subject)?.[1]?.toLowerCase();
  return {
    eventId: e.id,
    eventType: type,
    resourceId: e.subject,
    ...(typeof data.operationName === 'string' ? { operationName: data.operationName } : {}),
    ...(tag ? { clusterTag: tag } : {}),
  };
}
