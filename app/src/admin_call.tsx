// An admin call behind its confirmation (Placement detail's actions, Alerts' resolving actions):
// runs it with the reason typed, and when the database answers PT428 (four-eyes) offers to ask a
// second admin for exactly that call (request_admin_action). Refusals are shown in words.
import { useState } from "preact/hooks";
import { PostgrestErrorSchema, RPC } from "../../types/schemas.ts";
import type { AdminCall } from "./alert_actions.ts";
import { db, unwrap } from "./api.ts";
import { ConfirmBox, shortId } from "./ui.tsx";

export function AdminCallBox(
  { call, subject, onDone, onCancel }: {
    call: AdminCall;
    /** What the call acts on, in words (e.g. a short id). */
    subject: string;
    /** After the call ran or was asked for: what happened, in words. */
    onDone: (what: string) => void;
    onCancel: () => void;
  },
) {
  const [reason, setReason] = useState("");
  const [error, setError] = useState<unknown>(null);
  // the database judges the input (a missing reason is its PT400), whoever calls
  const args = () => (call.reason ? { ...call.args, p_reason: reason } : call.args);
  const run = async () => {
    setError(null);
    try {
      const res = await db().rpc(call.rpc, args() as never);
      RPC[call.rpc].returns.parse(unwrap(res));
      onDone(`${call.rpc} done`);
    } catch (e) {
      setError(e);
    }
  };
  const ask = async () => {
    try {
      const res = await db().rpc("request_admin_action", { p_action: call.rpc, p_args: args() } as never);
      const r = RPC.request_admin_action.returns.parse(unwrap(res));
      onDone(`asked a second admin: request ${shortId(r.id)} (${r.status})`);
    } catch (e) {
      setError(e);
    }
  };
  const needsApproval = PostgrestErrorSchema.safeParse(error).data?.code === "PT428";
  return (
    <ConfirmBox
      label="Confirm action"
      question={
        <>
          Run <strong>{call.rpc}</strong> on {subject}?
        </>
      }
      reason={call.reason ? { value: reason, set: setReason } : null}
      yes="Yes, run it"
      onYes={run}
      onCancel={onCancel}
      error={error}
    >
      {needsApproval && <button type="button" id="request-approval" onClick={ask}>Ask a second admin</button>}
    </ConfirmBox>
  );
}
