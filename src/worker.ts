import { Hono } from "hono";

export interface Env {
  ROUTES: KVNamespace;
  CONFIG_REFRESH_SECONDS?: string;
}

const app = new Hono<{ Bindings: Env }>();
app.all("*", (c) => c.text("no route table loaded", 503));

export default app;
