// Types of the bindings and exports the workerd test tier sees (wrangler.toml + vitest.config.ts).
declare namespace Cloudflare {
  interface Env {
    ROUTES: KVNamespace;
    CONFIG_REFRESH_SECONDS: string;
    EXPOSE_CONFIG_VERSION?: string;
    ADMIN_TOKEN?: string;
    STATE: DurableObjectNamespace;
    STATE_REFRESH_SECONDS?: string;
    STATE_CACHE_SECONDS?: string;
  }
  interface Exports {
    default: Fetcher;
  }
}
