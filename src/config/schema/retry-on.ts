/**
 * Envoy `retry_on` conditions Istio accepts in `HTTPRetry.retryOn` (istio:val validateHTTPRetry
 * uses Envoy's router policy names, both HTTP and gRPC; ISTIO-SEMANTICS §2.5).
 */
export const RETRY_ON_TOKENS: ReadonlySet<string> = new Set([
  // HTTP (x-envoy-retry-on)
  "5xx",
  "gateway-error",
  "reset",
  "reset-before-request",
  "connect-failure",
  "envoy-ratelimited",
  "retriable-4xx",
  "refused-stream",
  "retriable-status-codes",
  "retriable-headers",
  "http3-post-connect-failure",
  // gRPC (x-envoy-retry-grpc-on)
  "cancelled",
  "deadline-exceeded",
  "internal",
  "resource-exhausted",
  "unavailable",
]);
