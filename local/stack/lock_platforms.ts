// After `npm install`: records other platforms' optional binary packages (Supabase CLI,
// PostgREST, squawk) in package-lock.json with their os/cpu, so `npm ci` accepts the lock.
// The registry mirror here does not serve those packages' metadata, so npm leaves them out
// and `npm ci` then refuses the lock as out of sync. On linux-x64 they are skipped anyway.
// Usage: deno run -A local/stack/lock_platforms.ts
import { join } from "./paths.ts";
import { ROOT } from "./config.ts";

type Entry = { version?: string; dev?: boolean; optional?: boolean; optionalDependencies?: Record<string, string> };
const path = join(ROOT, "package-lock.json");
const lock = JSON.parse(await Deno.readTextFile(path)) as { packages: Record<string, Entry & Record<string, unknown>> };

let added = 0;
for (const meta of Object.values(lock.packages)) {
  for (const [dep, spec] of Object.entries(meta.optionalDependencies ?? {})) {
    const key = `node_modules/${dep}`;
    if (key in lock.packages) continue;
    const name = dep.split("/").pop()!;
    const os = name.includes("darwin") ? "darwin" : name.includes("win") ? "win32" : "linux";
    const cpu = name.includes("arm64") ? "arm64" : "x64";
    lock.packages[key] = {
      version: spec.replace(/^[\^~=]/, ""),
      dev: meta.dev ?? false,
      optional: true,
      os: [os],
      cpu: [cpu],
      ...(name.includes("musl") ? { libc: ["musl"] } : {}),
    };
    added++;
  }
}
await Deno.writeTextFile(path, JSON.stringify(lock, null, 2) + "\n");
console.log(`package-lock.json: recorded ${added} other-platform optional packages`);
