// "Sessions": the signed-in person's web sessions (signed in through an identity provider),
// with revoke. Revoking the session this page uses signs the page out.
import { button, confirmDialog, dataTable, el, errorBox, pageHeader, statusBox, timeCell } from "./ui.js";

export async function renderSessions(ctx) {
  const { api, container } = ctx;
  const errors = errorBox();
  const status = statusBox();
  const list = el("div", { class: "card" });
  container.append(
    pageHeader(
      "Sessions",
      "Where you are signed in to this page through your identity provider. Revoke a session you do not recognise; it ends at once on every server.",
    ),
    errors.node,
    status.node,
    list,
  );

  async function reload() {
    const sessions = await api.listMySessions();
    if (!ctx.isCurrent()) return;
    list.replaceChildren(
      dataTable({
        caption: "Your web sessions",
        empty: "No web sessions: you are signed in with a personal access token.",
        rows: sessions,
        rowAttrs: (s) => ({ "data-session": s.id }),
        columns: [
          { label: "Signed in", cell: (s) => timeCell(s.created_time) },
          { label: "Last seen", cell: (s) => timeCell(s.last_seen_time) },
          { label: "Address", cell: (s) => s.address },
          { label: "Browser", class: "col-comment", cell: (s) => (s.current ? `${s.user_agent} (this browser)` : s.user_agent) },
          {
            srLabel: "Actions",
            cell: (s) =>
              button(`Revoke${s.current ? " (signs you out)" : ""}`, () => revoke(s), {
                "aria-label": `Revoke the session signed in ${new Date(s.created_time).toLocaleString()}`,
              }),
          },
        ],
      }),
    );
  }

  async function revoke(s) {
    const message = ["The browser using this session is signed out at its next request."];
    if (s.current) message.push("This is the session of this page: you will be signed out.");
    if (!(await confirmDialog({ title: "Revoke session", message, confirmLabel: "Revoke" }))) return;
    errors.clear();
    status.clear();
    try {
      await api.revokeSession(s.id);
      if (s.current) {
        ctx.signOut("You revoked this page's session.");
        return;
      }
      status.show("Session revoked.");
      await reload();
    } catch (err) {
      errors.show(err);
    }
  }

  await reload();
}
