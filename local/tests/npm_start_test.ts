// `npm start`, `npm run stop` and `npm run reset` from a checkout inside a private folder, as in
// `git clone … ~/payouts && cd ~/payouts && npm start` as root (/root is mode 700, and the
// cluster runs as the `postgres` user, who cannot enter it). The checkout is a clone of this one
// (HEAD, then the working tree's files on top) in a fresh mode-700 folder; it uses its own ports
// (LOCAL_STACK_PORT) and its own state folder (config.devStateDir), so a running dev stack is
// not disturbed. Also shows the demo's transfers are the Stripe stand-in's (seed.ts) and survive
// a restart (the stand-in's state file). Everything it starts and creates is removed at the end.
// The seed's demo users sign in with their documented password (README.md, "Demo users") through
// the Auth stand-in. The console is built and served at the API port + 2. Takes one to three minutes.
import { createClient } from "@supabase/supabase-js";
import assert from "node:assert/strict";
import postgres from "postgres";
import { DEV_STATE_ROOT, devStateDir, ROOT } from "../stack/config.ts";
import { dirname, join } from "../stack/paths.ts";
import { LOCAL_PAYOUT_JOB_SECRET } from "../stack/payout_jobs.ts";
import { isAlive, run } from "../stack/proc.ts";

const PG_CTL = "/usr/lib/postgresql/15/bin/pg_ctl";
const mode = async (p: string) => (await Deno.stat(p)).mode! & 0o777;
const owner = async (p: string) => (await Deno.stat(p)).uid;
const exists = (p: string) => Deno.lstat(p).then(() => true, () => false);

/** A free block of 10 ports (the dev stack's API port and the ones after it). */
function freePortBlock(): number {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20000 + Math.floor(Math.random() * 20000);
    const held: Deno.Listener[] = [];
    try {
      for (let i = 0; i <= 9; i++) held.push(Deno.listen({ hostname: "127.0.0.1", port: base + i }));
      return base;
    } catch {
      // taken: try another block
    } finally {
      for (const l of held) l.close();
    }
  }
  throw new Error("no free block of 10 ports");
}

/** This checkout as a fresh clone: HEAD, then the working tree's added, changed and removed files. */
async function cloneWorkingTree(dest: string): Promise<void> {
  await run("git", ["clone", "-q", "--no-hardlinks", ROOT, dest]);
  const ls = await run("git", ["-C", ROOT, "ls-files", "-z", "--cached", "--others", "--exclude-standard"]);
  for (const rel of ls.stdout.split("\0").filter(Boolean)) {
    const from = join(ROOT, rel);
    const to = join(dest, rel);
    const info = await Deno.lstat(from).catch(() => null);
    if (!info) {
      await Deno.remove(to).catch(() => {}); // removed or moved in the working tree
    } else if (info.isFile) {
      await Deno.mkdir(dirname(to), { recursive: true });
      await Deno.copyFile(from, to);
    }
  }
  // npm ci would download everything again: the dependencies of this checkout (same lock file).
  if (!(await exists(join(dest, "node_modules")))) {
    await Deno.symlink(join(ROOT, "node_modules"), join(dest, "node_modules"));
  }
}

interface Started {
  child: Deno.ChildProcess;
  output: () => string;
  done: Promise<Deno.CommandStatus>;
}

/** `npm start` in the foreground, as a user runs it; resolves once it says the stack is running. */
async function npmStart(cwd: string, env: Record<string, string>, timeoutMs = 300_000): Promise<Started> {
  const child = new Deno.Command("npm", { args: ["start"], cwd, env, stdin: "null", stdout: "piped", stderr: "piped" })
    .spawn();
  let out = "";
  const pump = async (s: ReadableStream<Uint8Array>) => {
    const dec = new TextDecoder();
    for await (const chunk of s) out += dec.decode(chunk, { stream: true });
  };
  const pumped = Promise.all([pump(child.stdout), pump(child.stderr)]);
  const done = pumped.then(() => child.status);
  const until = Date.now() + timeoutMs;
  let exited = false;
  done.then(() => exited = true);
  while (!out.includes("npm run stop`) stops everything")) {
    if (exited) throw new Error(`npm start exited before the stack was up:\n${out}`);
    if (Date.now() > until) throw new Error(`npm start: not up after ${timeoutMs / 1000} s:\n${out}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  return { child, output: () => out, done };
}

async function npm(cwd: string, env: Record<string, string>, ...args: string[]): Promise<string> {
  const res = await run("npm", ["run", "--silent", ...args], { cwd, env });
  return res.stdout + res.stderr;
}

const field = (out: string, label: string) => {
  const m = out.match(new RegExp(`${label}: (\\S+)`));
  assert.ok(m, `npm start prints ${label}:\n${out}`);
  return m[1];
};

/** Every paid tranche is a transfer in the stand-in's ledger, with our metadata; nothing else is. */
async function assertLedgerMatches(dbUrl: string, stripe: string): Promise<number> {
  const sql = postgres(dbUrl, { max: 1, onnotice: () => {} });
  try {
    const paid = await sql<{ id: string; payout_id: string; amount: string; stripe_transfer_id: string }[]>`
      select id, payout_id, amount::text, stripe_transfer_id from public.payout_transfers where status = 'succeeded'`;
    const ledger = await (await fetch(`${stripe}/_standin/ledger`)).json() as {
      transfers: { id: string; amount: number; metadata: Record<string, string> }[];
    };
    assert.ok(paid.length >= 5, `the demo has paid tranches (${paid.length})`);
    for (const t of paid) {
      const tr = ledger.transfers.find((x) => x.id === t.stripe_transfer_id);
      assert.ok(tr, `${t.stripe_transfer_id} (tranche ${t.id}) is in the stand-in's ledger`);
      assert.equal(tr.metadata.payout_transfer_id, t.id);
      assert.equal(tr.metadata.payout_id, t.payout_id);
      assert.equal(String(tr.amount), t.amount);
    }
    assert.equal(ledger.transfers.length, paid.length, "the stand-in made no other transfer");
    return paid.length;
  } finally {
    await sql.end();
  }
}

Deno.test({
  name: "npm start / stop / reset from a clone in a mode-700 folder",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const home = await Deno.makeTempDir({ prefix: "payouts-home-" });
    await Deno.chmod(home, 0o700);
    const checkout = join(home, "payouts");
    const base = freePortBlock();
    const env = { LOCAL_STACK_PORT: String(base), NO_COLOR: "1" };
    const dbUrl = `postgresql://postgres:postgres@127.0.0.1:${base + 1}/postgres`;
    const hadStateRoot = await exists(DEV_STATE_ROOT);
    let state = "";
    let started: Started | null = null;
    try {
      await cloneWorkingTree(checkout);
      state = devStateDir(checkout);
      assert.ok(!(await exists(state)), `${state} is new`);
      const checkoutMode = await mode(checkout);

      await t.step("npm start brings the stack up; the state lives outside the checkout", async () => {
        started = await npmStart(checkout, env);
        const out = started.output();
        assert.equal(field(out, "State"), state);
        const postgresUid = Number((await run("id", ["-u", "postgres"])).stdout.trim());
        assert.equal(await mode(home), 0o700, "the private folder is still private");
        assert.equal(await mode(checkout), checkoutMode, "the checkout's mode is unchanged");
        assert.ok(!(await exists(join(checkout, ".local", "dev"))), "nothing of the stack's state in the checkout");
        assert.equal(await mode(state), 0o711, "state folder: passable, not listable");
        assert.equal(await owner(join(state, "db")), postgresUid);
        assert.equal(await mode(join(state, "db")), 0o700);
        assert.equal(await owner(join(state, "logs")), postgresUid);
        assert.equal(await mode(join(state, "logs")), 0o700);

        const anon = field(out, "anon key");
        const health = await fetch(`http://127.0.0.1:${base}/functions/v1/health`, {
          headers: { Authorization: `Bearer ${anon}` },
        });
        assert.equal(health.status, 200);
        assert.equal((await health.json()).status, "ok");

        // The console (app/), built and served at the API port + 2, pointed at this stack's API.
        const consoleUrl = field(out, "Console URL");
        assert.equal(consoleUrl, `http://127.0.0.1:${base + 2}`);
        const page = await fetch(consoleUrl);
        assert.equal(page.status, 200);
        const html = await page.text();
        assert.match(html, /<div id="app"><\/div>/);
        const script = html.match(/src="(\/assets\/[^"]+\.js)"/);
        assert.ok(script, `the built page loads its bundle: ${html}`);
        const bundle = await fetch(`${consoleUrl}${script[1]}`);
        assert.equal(bundle.status, 200);
        assert.match(bundle.headers.get("content-type") ?? "", /javascript/);
        await bundle.body?.cancel();
        const config = await (await fetch(`${consoleUrl}/config.js`)).text();
        assert.ok(config.includes(JSON.stringify({ apiUrl: `http://127.0.0.1:${base}`, anonKey: anon })), config);
      });

      await t.step("the demo's transfers are the Stripe stand-in's; reconciliation finds nothing", async () => {
        const stripe = `http://127.0.0.1:${base + 7}`;
        await assertLedgerMatches(dbUrl, stripe);
        const sql = postgres(dbUrl, { max: 1, onnotice: () => {} });
        try {
          const since = new Date();
          const res = await fetch(`http://127.0.0.1:${base}/functions/v1/reconcile-payouts`, {
            method: "POST",
            headers: { "x-job-secret": LOCAL_PAYOUT_JOB_SECRET, "content-type": "application/json" },
            body: JSON.stringify({ window_start: new Date(Date.now() - 200 * 86400_000).toISOString() }),
          });
          await res.body?.cancel();
          assert.ok(res.status < 300, `reconcile-payouts answered ${res.status}`);
          let run:
            | { status: string; stripe_transfers: number; tranches_checked: number; findings: unknown }
            | undefined;
          for (let i = 0; i < 240 && run?.status !== "finished" && run?.status !== "failed"; i++) {
            await new Promise((r) => setTimeout(r, 500));
            [run] = await sql<
              { status: string; stripe_transfers: number; tranches_checked: number; findings: unknown }[]
            >`
              select status, stripe_transfers, tranches_checked, findings from private.stripe_reconciliation_runs
               where started_at >= ${since} order by started_at desc limit 1`;
          }
          assert.equal(run?.status, "finished", JSON.stringify(run));
          assert.ok(run!.stripe_transfers >= 5, JSON.stringify(run));
          const open =
            await sql`select kind, subject, details from private.reconciliation_findings where resolved_at is null`;
          assert.equal(open.length, 0, `no open reconciliation findings: ${JSON.stringify(open)}`);
        } finally {
          await sql.end();
        }
      });

      await t.step("the seed's demo users sign in with `demo-password` and read their own payouts", async () => {
        const auth = { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false };
        const api = `http://127.0.0.1:${base}`;
        const anon = field(started!.output(), "anon key");
        const demo = ["alice", "bob", "carol", "dan", "erin", "admin"].map((n) => `${n}@demo.test`)
          .concat(["hr@acme.demo.test", "manager@acme.demo.test"]);
        for (const email of demo) {
          const r = await createClient(api, anon, { auth }).auth.signInWithPassword({ email, password: "demo-password" });
          assert.equal(r.error, null, `${email}: ${JSON.stringify(r.error)}`);
        }
        const wrong = await createClient(api, anon, { auth }).auth.signInWithPassword({
          email: "alice@demo.test",
          password: "not-the-password",
        });
        assert.equal(wrong.error?.code, "invalid_credentials");

        const alice = createClient(api, anon, { auth });
        assert.equal((await alice.auth.signInWithPassword({ email: "alice@demo.test", password: "demo-password" })).error, null);
        const mine = await alice.from("payouts").select("id").order("id");
        assert.equal(mine.error, null, JSON.stringify(mine.error));
        const sql = postgres(dbUrl, { max: 1, onnotice: () => {} });
        try {
          const expected = await sql<{ id: string }[]>`
            select p.id from public.payouts p join public.recruiters r on r.id = p.recruiter_id
             where r.user_id = '00000000-0000-0000-0000-000000000001' order by p.id`;
          assert.ok(expected.length > 0, "Alice has payouts in the demo");
          assert.deepEqual(mine.data, expected.map((e) => ({ id: e.id })), "Alice reads exactly her payouts under RLS");
        } finally {
          await sql.end();
        }
      });

      await t.step("npm run stop stops everything npm start started", async () => {
        const pids = JSON.parse(await Deno.readTextFile(join(state, "stack.pids.json")));
        await npm(checkout, env, "stop");
        const status = await started!.done;
        assert.ok(status.success, `npm start ended with ${status.code}`);
        started = null;
        for (const pid of [pids.supervisor, ...pids.children]) assert.ok(!isAlive(pid), `pid ${pid} is gone`);
        assert.ok(!(await exists(join(state, "db", "postmaster.pid"))), "the cluster is stopped");
      });

      await t.step(
        "npm run reset (stack stopped), then npm start: the stand-in remembers the seed's transfers",
        async () => {
          const out = await npm(checkout, env, "reset");
          assert.match(out, /database recreated/);
          assert.ok(!(await exists(join(state, "db", "postmaster.pid"))), "reset leaves a stopped cluster stopped");
          started = await npmStart(checkout, env);
          await assertLedgerMatches(dbUrl, `http://127.0.0.1:${base + 7}`);
          await npm(checkout, env, "stop");
          assert.ok((await started.done).success);
          started = null;
        },
      );
    } finally {
      // Whatever happened: stop what runs, then remove the state folder and the clone.
      if (started) {
        await npm(checkout, env, "stop").catch(() => "");
        (started as Started).child.kill("SIGKILL");
        await (started as Started).done.catch(() => {});
      }
      if (state) {
        const pids = await Deno.readTextFile(join(state, "stack.pids.json")).then(JSON.parse, () => null);
        for (const pid of pids ? [pids.supervisor, ...pids.children] : []) {
          if (isAlive(pid)) Deno.kill(pid, "SIGKILL");
        }
        if (await exists(join(state, "db", "postmaster.pid"))) {
          await run("runuser", ["-u", "postgres", "--", PG_CTL, "-D", join(state, "db"), "-m", "immediate", "stop"], {
            allowFail: true,
          });
        }
        await Deno.remove(state, { recursive: true }).catch(() => {});
        if (!hadStateRoot) await Deno.remove(DEV_STATE_ROOT).catch(() => {}); // only if empty
      }
      await Deno.remove(home, { recursive: true }).catch(() => {});
    }
  },
});
