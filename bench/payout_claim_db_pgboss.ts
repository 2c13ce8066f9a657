// Baseline (b) of bench/payout_claim_db.bench.ts: pg-boss 10 working no-op jobs on the same
// cluster (its own schema `pgboss`), same worker count and batch size.
//
// How pg-boss is driven, and why: pg-boss's throughput mode is batching: `work(queue,
// { batchSize }, handler)` fetches up to batchSize jobs with one `FOR UPDATE SKIP LOCKED` update,
// hands them to the handler as one array and completes them with one `complete(queue, ids)`.
// `work()` itself then sleeps until its polling interval (minimum 0.5 s) has passed since the
// fetch, even when the queue is full, which would measure the sleep, not the database. So each of
// the K workers runs the very loop `work()` runs, without the sleep: `fetch({ batchSize })` then
// `complete(ids)` until a fetch comes back empty ("batch" mode: the target). A second queue is
// worked with one `complete(id)` per job ("per-job" mode: the shape of the payout run, which
// completes each tranche after its own Stripe call; reported, not a target). Maintenance and
// cron (`supervise`, `schedule`) are off so nothing else runs in pg-boss's pool meanwhile.
// pg-boss uses node-postgres (`pg`), which loads under Deno via npm compatibility; one pool of
// K connections shared by the K loops.
import PgBoss from "pg-boss";

const QUEUE_BATCH = "bench-claim-batch";
const QUEUE_PER_JOB = "bench-claim-per-job";

export class PgBossBaseline {
  private boss: PgBoss;
  private errors: unknown[] = [];

  constructor(dbUrl: string, private workers: number, private batch: number) {
    this.boss = new PgBoss({
      connectionString: dbUrl,
      schema: "pgboss",
      max: workers,
      application_name: "bench-claim-pgboss",
      supervise: false,
      schedule: false,
      migrate: true,
    });
    this.boss.on("error", (e: unknown) => this.errors.push(e));
  }

  /** Installs pg-boss (schema pgboss), creates the queues and inserts n jobs into each. */
  async setup(n: number): Promise<void> {
    await this.boss.start();
    for (const q of [QUEUE_BATCH, QUEUE_PER_JOB]) {
      await this.boss.createQueue(q, { name: q, policy: "standard" });
      for (let i = 0; i < n; i += 1000) {
        const jobs = Array.from({ length: Math.min(1000, n - i) }, (_, j) => ({ name: q, data: { i: i + j } }));
        await this.boss.insert(jobs);
      }
    }
  }

  /** Opens the pool's K connections, so that no run pays for connecting. */
  async warm(): Promise<void> {
    const db = this.boss.getDb();
    await Promise.all(Array.from({ length: this.workers }, () => db.executeSql("select pg_sleep(0.05)", [])));
  }

  /**
   * K loops of fetch({ batchSize }) + complete until the queue is empty; batch mode completes each
   * fetched batch with one complete(ids), per-job mode with one complete(id) per job.
   */
  async run(mode: "batch" | "per-job"): Promise<{ ms: number; completed: number }> {
    const queue = mode === "batch" ? QUEUE_BATCH : QUEUE_PER_JOB;
    let completed = 0;
    const t0 = performance.now();
    await Promise.all(Array.from({ length: this.workers }, async () => {
      for (;;) {
        const jobs = await this.boss.fetch(queue, { batchSize: this.batch });
        if (jobs.length === 0) return;
        if (mode === "per-job") {
          for (const j of jobs) await this.boss.complete(queue, j.id);
        } else {
          await this.boss.complete(queue, jobs.map((j) => j.id));
        }
        completed += jobs.length;
      }
    }));
    const ms = performance.now() - t0;
    if (this.errors.length) throw new Error(`pg-boss reported errors: ${String(this.errors[0])}`);
    return { ms, completed };
  }

  /** Jobs of each queue in state completed, from pg-boss's own table. */
  async completedInDb(): Promise<{ batch: number; perJob: number }> {
    const db = this.boss.getDb();
    const { rows } = await db.executeSql(
      `select name, count(*)::int as n from pgboss.job where state = 'completed' and name = any($1) group by name`,
      [[QUEUE_BATCH, QUEUE_PER_JOB]],
    );
    const by = Object.fromEntries(rows.map((r: { name: string; n: number }) => [r.name, r.n]));
    return { batch: by[QUEUE_BATCH] ?? 0, perJob: by[QUEUE_PER_JOB] ?? 0 };
  }

  async stop(): Promise<void> {
    await this.boss.stop({ graceful: false, wait: true });
  }
}
