// Audit log (admins): GET /api/2.0/latchkey/audit pages forward from a sequence number; the
// page reads up to MAX_EVENTS and shows the newest first, with a client-side filter.
import { button, clear, dataTable, el, errorBox, field, pageHeader, timeCell } from "./ui.js";

const PAGE = 1000;
const MAX_EVENTS = 10000;

// "key=value · key=value · from 127.0.0.1"; nested values as compact JSON.
const withSeconds = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "medium" });
function formatSeconds(ms) {
  return withSeconds.format(new Date(ms));
}

// "principal:123" / "group:456" -> the principal's or group's name, when known.
const names = new Map();
function reference(text) {
  const value = text || "—";
  const match = /^(principal|group):(\d+)$/.exec(value);
  const name = match && names.get(value);
  if (!name) return el("span", { class: "cell-main", text: value });
  return el("span", { class: "cell-main", title: value, text: name });
}

function detailText(event) {
  const parts = [];
  if (event.detail && typeof event.detail === "object") {
    for (const [key, value] of Object.entries(event.detail)) {
      parts.push(`${key}=${typeof value === "string" ? value : JSON.stringify(value)}`);
    }
  }
  if (event.remote_address) parts.push(`from ${event.remote_address}`);
  return parts.join(" · ");
}

export async function renderAudit(ctx) {
  const { api, container } = ctx;
  const errors = errorBox();
  const list = el("div", { class: "card" });
  const summary = el("p", { class: "muted summary", role: "status" });
  const filterInput = el("input", { type: "search", name: "filter", autocomplete: "off" });
  let events = [];
  let truncated = false;

  const show = () => {
    const needle = filterInput.value.trim().toLowerCase();
    const rows = needle
      ? events.filter((e) =>
          [e.actor, e.action, e.target, detailText(e)].some((v) => String(v ?? "").toLowerCase().includes(needle)))
      : events;
    clear(list);
    list.append(
      dataTable({
        caption: "Audit events, newest first",
        empty: needle ? "No events match the filter." : "No events yet.",
        rows,
        columns: [
          { label: "#", class: "col-seq", cell: (e) => String(e.seq) },
          { label: "Time", cell: (e) => timeCell(e.time, formatSeconds) },
          { label: "Actor", class: "col-actor", cell: (e) => reference(e.actor) },
          { label: "Action", cell: (e) => el("code", { text: e.action || "—" }) },
          {
            label: "Target and details",
            class: "col-wrap col-target",
            cell: (e) => [reference(e.target), el("span", { class: "cell-sub mono", text: detailText(e) })],
          },
        ],
      }),
    );
    summary.textContent =
      `Showing ${rows.length} of ${events.length} events` + (truncated ? ` (the first ${MAX_EVENTS} only).` : ".");
  };

  async function load() {
    const all = [];
    let after = 0;
    truncated = false;
    for (;;) {
      const data = await api.listAudit(after, PAGE);
      const page = Array.isArray(data.events) ? data.events : [];
      all.push(...page);
      if (page.length < PAGE) break;
      if (all.length >= MAX_EVENTS) {
        truncated = true;
        break;
      }
      const next = typeof data.next_after === "number" ? data.next_after : page[page.length - 1].seq;
      if (!(next > after)) break;
      after = next;
    }
    if (!ctx.isCurrent()) return;
    events = all.reverse();
    show();
  }

  const form = el(
    "form",
    { class: "filter-bar", role: "search", onsubmit: (event) => event.preventDefault() },
    field({ label: "Filter", input: filterInput, help: "Matches actor, action, target or details." }),
    el(
      "div",
      { class: "filter-actions" },
      button("Refresh", async () => {
        errors.clear();
        try {
          await load();
        } catch (err) {
          errors.show(err);
        }
      }),
    ),
  );
  filterInput.addEventListener("input", show);

  container.append(
    pageHeader("Audit log", "Token, permission, principal, secret and settings changes, and failed authentications."),
    el("div", { class: "card card-padded" }, form),
    errors.node,
    summary,
    list,
  );
  try {
    const [users, sps, groups] = await Promise.all([api.listUsers(), api.listServicePrincipals(), api.listGroups()]);
    for (const u of users) names.set(`principal:${u.id}`, u.userName || u.displayName);
    for (const p of sps) names.set(`principal:${p.id}`, p.displayName || p.applicationId);
    for (const g of groups) names.set(`group:${g.id}`, g.displayName);
  } catch {
    // Raw references are shown instead.
  }
  await load();
}
