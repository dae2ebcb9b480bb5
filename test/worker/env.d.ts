// Types of the bindings and exports the workerd test tier sees (wrangler.toml).
declare namespace Cloudflare {
  interface Env {
    ROUTES: KVNamespace;
    CONFIG_REFRESH_SECONDS: string;
  }
  interface Exports {
    default: Fetcher;
  }
}
