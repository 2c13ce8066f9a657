// CPU time of the whole Postgres cluster (postmaster + every backend and background process,
// exited children included through the postmaster's cutime/cstime), from /proc. Used by
// bench/payout_claim_db.bench.ts next to wall-clock throughput: on a shared 2-core box other
// processes steal wall-clock time, while the CPU the database spent per job is what the
// contenders cost. Linux only, and only when the cluster runs on this machine (the local stack);
// otherwise null and the CPU metrics are left out.
import type postgres from "postgres";

const TICK_MS = 10; // USER_HZ is 100 on Linux

async function statFields(pid: number | string): Promise<string[] | null> {
  try {
    const s = await Deno.readTextFile(`/proc/${pid}/stat`);
    return s.slice(s.lastIndexOf(")") + 2).split(" "); // [0] = state (field 3)
  } catch {
    return null;
  }
}

/** Returns a function reading the cluster's CPU milliseconds so far, or null when unavailable. */
export async function clusterCpuClock(sql: postgres.Sql): Promise<(() => Promise<number>) | null> {
  if (Deno.build.os !== "linux") return null;
  const [{ pid }] = await sql<{ pid: number }[]>`select pg_backend_pid() as pid`;
  const me = await statFields(pid);
  if (!me) return null;
  const postmaster = Number(me[1]); // ppid (field 4)
  const pm = await statFields(postmaster);
  if (!pm) return null;
  return async () => {
    const p = await statFields(postmaster);
    if (!p) throw new Error("postmaster is gone");
    // utime, stime, cutime, cstime: fields 14-17
    let ticks = Number(p[11]) + Number(p[12]) + Number(p[13]) + Number(p[14]);
    for await (const e of Deno.readDir("/proc")) {
      if (!/^\d+$/.test(e.name)) continue;
      const f = await statFields(e.name);
      if (f && Number(f[1]) === postmaster) ticks += Number(f[11]) + Number(f[12]);
    }
    return ticks * TICK_MS;
  };
}
