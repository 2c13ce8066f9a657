// Sign-in (email + password through supabase-js against Auth), then the screens of the user's roles.
import type { Session } from "@supabase/supabase-js";
import type { JSX } from "preact";
import { useEffect, useState } from "preact/hooks";
import { db, type Roles, rolesOf } from "./api.ts";
import { ADMIN_SCREENS } from "./admin_screens.tsx";
import { CompanyHolds, CompanyInvoices, MyConnect, MyStatement, RecruiterPayouts } from "./party_screens.tsx";
import { Alerts, Controls, Placements, Tonight } from "./screens.tsx";
import { parseRoute, routeHref } from "./nav.ts";
import { ErrorBox, Loading } from "./ui.tsx";

interface Screen {
  id: string;
  label: string;
  /** id: the route's second part (#placement/<id>), for the screens that open one thing. */
  view: (props: { id: string | null }) => JSX.Element;
}

function screensFor(roles: Roles): Screen[] {
  const out: Screen[] = [];
  if (roles.admin) {
    out.push({ id: "tonight", label: "Tonight", view: Tonight }, { id: "alerts", label: "Alerts", view: Alerts }, {
      id: "controls",
      label: "Controls",
      view: Controls,
    }, ...ADMIN_SCREENS);
  }
  if (roles.recruiter) {
    out.push({ id: "my-payouts", label: "My payouts", view: RecruiterPayouts }, {
      id: "my-statement",
      label: "My statement",
      view: MyStatement,
    }, { id: "my-connect", label: "Payout account", view: MyConnect });
  }
  if (roles.companies.length) {
    out.push({ id: "placements", label: "Placements", view: Placements }, {
      id: "invoices",
      label: "Invoices",
      view: CompanyInvoices,
    }, { id: "holds", label: "Escrow holds", view: CompanyHolds });
  }
  return out;
}

function SignIn() {
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    const { error } = await db().auth.signInWithPassword({ email, password });
    setBusy(false);
    if (error) setError(error);
  };
  return (
    <form class="sign-in" onSubmit={submit}>
      <h1>Payouts console</h1>
      <label>
        Email{" "}
        <input
          name="email"
          type="email"
          autocomplete="username"
          value={email}
          onInput={(e) => setEmail(e.currentTarget.value)}
        />
      </label>
      <label>
        Password{" "}
        <input
          name="password"
          type="password"
          autocomplete="current-password"
          value={password}
          onInput={(e) => setPassword(e.currentTarget.value)}
        />
      </label>
      <button type="submit" disabled={busy}>Sign in</button>
      {error !== null && <ErrorBox error={error} />}
    </form>
  );
}

function Console({ session }: { session: Session }) {
  const [roles, setRoles] = useState<Roles | null>(null);
  const [error, setError] = useState<unknown>(null);
  // the screen is the URL's hash (#<screen>[/<id>]): links between screens, and back and forward, work
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    rolesOf(session.user.id).then(setRoles, setError);
  }, [session.user.id]);
  useEffect(() => {
    const follow = () => setRoute(parseRoute(location.hash));
    addEventListener("hashchange", follow);
    return () => removeEventListener("hashchange", follow);
  }, []);
  const screens = roles ? screensFor(roles) : [];
  const screen = screens.find((s) => s.id === route.screen) ?? screens[0];
  return (
    <div class="console">
      <header>
        <span class="who">{session.user.email}</span>
        {roles && (
          <span class="roles">
            {[roles.admin && "platform admin", roles.recruiter && "recruiter", ...roles.companies.map((c) => c.role)]
              .filter(Boolean).join(", ") || "no role"}
          </span>
        )}
        <nav>
          {screens.map((s) => (
            <button
              type="button"
              key={s.id}
              id={`nav-${s.id}`}
              class={s === screen ? "active" : ""}
              onClick={() => (location.hash = routeHref(s.id))}
            >
              {s.label}
            </button>
          ))}
        </nav>
        <button type="button" id="sign-out" onClick={() => db().auth.signOut()}>Sign out</button>
      </header>
      <main>
        {error !== null
          ? <ErrorBox error={error} />
          : !roles
          ? <Loading />
          : screen
          ? <screen.view key={screen.id} id={screen.id === route.screen ? route.id : null} />
          : (
            <p class="empty">
              Signed in, with no role: nothing to show. A platform admin grants roles (company membership, recruiter).
            </p>
          )}
      </main>
    </div>
  );
}

export function App() {
  const [session, setSession] = useState<Session | null | undefined>(undefined);
  useEffect(() => {
    db().auth.getSession().then(({ data }) => setSession(data.session));
    const { data } = db().auth.onAuthStateChange((_event, s) => setSession(s));
    return () => data.subscription.unsubscribe();
  }, []);
  if (session === undefined) return <Loading />;
  return session ? <Console session={session} key={session.user.id} /> : <SignIn />;
}
