// "Sessions": the signed-in person's web sessions (signed in through an identity provider),
// and, for admins, "Web sessions": everyone's. Each can be revoked; revoking the session this
// page uses signs the page out.
import { button, confirmDialog, dataTable, el, errorBox, pageHeader, statusBox, timeCell } from "./ui.js";

function browserCell(s) {
  return s.current ? `${s.user_agent} (this browser)` : s.user_agent;
}

async function renderSessionList(ctx, { title, description, caption, empty, load, showUser }) {
  const { api, container } = ctx;
  const errors = errorBox();
  const status = statusBox();
  const list = el("div", { class: "card" });
  container.append(pageHeader(title, description), errors.node, status.node, list);

  async function reload() {
    const sessions = await load();
    if (!ctx.isCurrent()) return;
    list.replaceChildren(
      dataTable({
        caption,
        empty,
        rows: sessions,
        rowAttrs: (s) => ({ "data-session": s.id }),
        columns: [
          showUser && { label: "User", cell: (s) => s.user_name || s.user_id },
          { label: "Signed in", cell: (s) => timeCell(s.created_time) },
          { label: "Last seen", cell: (s) => timeCell(s.last_seen_time) },
          { label: "Address", cell: (s) => s.address },
          { label: "Browser", class: "col-comment", cell: browserCell },
          {
            srLabel: "Actions",
            cell: (s) =>
              button(`Revoke${s.current ? " (signs you out)" : ""}`, () => revoke(s), {
                variant: "danger-outline",
                "aria-label": `Revoke the session of ${s.user_name || s.user_id} signed in ${new Date(s.created_time).toLocaleString()}`,
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

export function renderSessions(ctx) {
  return renderSessionList(ctx, {
    title: "Sessions",
    description:
      "Where you are signed in to this page through your identity provider. Revoke a session you do not recognise; it ends at once on every server.",
    caption: "Your web sessions",
    empty: "No web sessions.",
    load: () => ctx.api.listMySessions(),
    showUser: false,
  });
}

export function renderAllSessions(ctx) {
  return renderSessionList(ctx, {
    title: "Web sessions",
    description: "Everyone signed in to this page through an identity provider. Revoking a session signs that browser out.",
    caption: "All web sessions",
    empty: "Nobody is signed in through an identity provider.",
    load: () => ctx.api.listAllSessions(),
    showUser: true,
  });
}
