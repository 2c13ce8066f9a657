// Liveness of the Edge Functions path (gateway → functions server → this handler).
Deno.serve((req: Request) =>
  Response.json({ status: "ok", function: "health", method: req.method, time: new Date().toISOString() })
);
