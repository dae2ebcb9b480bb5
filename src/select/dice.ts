/**
 * Percentage dice for fault delay/abort (ISTIO-SEMANTICS §2.6) and mirrors (§2.7).
 * Istio converts a percentage to parts-per-million (`value × 10000`, truncated) and Envoy fires
 * when `random % 1e6 < ppm`. With a uniform r in [0,1): fires iff floor(r × 1e6) < ppm.
 * 100 ⇒ always, 0 ⇒ never, 0.0001 ⇒ one in a million.
 */
export const PPM = 1_000_000;

export function percentToPpm(percentage: number): number {
  return Math.min(PPM, Math.max(0, Math.floor(percentage * 10_000 + 1e-9)));
}

/** Exactly one call to `rand`, whatever the percentage (keeps the documented call order). */
export function rollPercent(rand: () => number, percentage: number): boolean {
  return Math.floor(rand() * PPM) < percentToPpm(percentage);
}
