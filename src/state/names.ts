/**
 * Names of the GatewayState objects (one class, one role per name; object.ts). A name is all a
 * Worker needs to reach an object (`idFromName`), so these are the state plane's "keys".
 */

/** The one object holding the active-version pointer. */
export const POINTER_OBJECT = "pointer";

/** One object per cluster holds its shared endpoint health (reports, probes, ejections). */
export function healthObject(clusterKey: string): string {
  return `health/${clusterKey}`;
}

/** One object per Canary (`namespace/name`) runs its rollout (rollout-object.ts). */
export function rolloutObject(canary: string): string {
  return `rollout/${canary}`;
}
