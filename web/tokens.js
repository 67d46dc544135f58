// "Access tokens" (the caller's own PATs) and, for admins, "All tokens".
import {
  button, clear, confirmDialog, dataTable, el, errorBox, field, formatDay, formatExpiry,
  openDialog, pageHeader, secretDialog, statusBox, timeCell, uniqueId,
} from "./ui.js";

const DEFAULT_LIFETIME_DAYS = 90;

function commentCell(comment) {
  // The cell holds the comment as a single text node, or a muted placeholder.
  return comment ? comment : el("span", { class: "muted", text: "(no comment)" });
}

function byNewest(a, b) {
  return (b.creation_time || 0) - (a.creation_time || 0);
}

function describe(token) {
  return token.comment ? `"${token.comment}"` : "without a comment";
}

// Asks for confirmation, then deletes `token` with `remove` (the caller's own or the admin
// endpoint). Revoking the token this page is signed in with signs the page out.
async function confirmRevoke(ctx, token, message, remove, { errors, status, reload }) {
  if (token.token_id === ctx.tokenId) message.push("This page is signed in with this token: you will be signed out.");
  if (!(await confirmDialog({ title: "Revoke token", message, confirmLabel: "Revoke" }))) return;
  errors.clear();
  status.clear();
  try {
    await remove(token.token_id);
    if (token.token_id === ctx.tokenId) {
      ctx.signOut("You revoked the token this page was signed in with.");
      return;
    }
    status.show(`Token ${describe(token)} revoked.`);
    await reload();
  } catch (err) {
    errors.show(err);
  }
}

// --- My tokens --------------------------------------------------------------------------

export async function renderMyTokens(ctx) {
  const { api, container, isAdmin, tokenId: sessionTokenId } = ctx;
  const errors = errorBox();
  const status = statusBox();
  const list = el("div", { class: "card" });
  let maxDays = 0;

  const generate = button("Generate new token", () => openGenerate(), { variant: "primary" });
  container.append(
    pageHeader(
      "Access tokens",
      "Personal access tokens let scripts, the Databricks CLI and the SDKs call the workspace API as you. Treat them like passwords.",
      generate,
    ),
    errors.node,
    status.node,
    list,
  );

  async function load() {
    const tokens = await api.listMyTokens();
    // token/list carries no last use (spec §4.2, unless the server adds last_used_day);
    // admins can read it from token management. Others see the column only when it has data.
    if (isAdmin && !tokens.some((t) => "last_used_day" in t)) {
      try {
        const all = await api.listAllTokens();
        const lastUsed = new Map(all.map((t) => [t.token_id, t.last_used_day]));
        for (const t of tokens) t.last_used_day = lastUsed.get(t.token_id);
      } catch {
        // Last use is a nicety; the list stands without it.
      }
    }
    if (!ctx.isCurrent()) return;
    const showLastUsed = isAdmin || tokens.some((t) => "last_used_day" in t);
    tokens.sort(byNewest);
    clear(list);
    list.append(
      dataTable({
        caption: "Your personal access tokens",
        empty: "No tokens yet. Generate one to use the CLI, the SDKs or the REST API.",
        rows: tokens,
        rowAttrs: (t) => ({ "data-token-id": t.token_id }),
        columns: [
          { label: "Comment", class: "col-comment", cell: (t) => commentCell(t.comment) },
          { label: "Created", cell: (t) => timeCell(t.creation_time) },
          { label: "Expires", cell: (t) => timeCell(t.expiry_time, formatExpiry) },
          showLastUsed ? { label: "Last used", cell: (t) => timeCell(t.last_used_day, formatDay) } : null,
          {
            label: "",
            srLabel: "Actions",
            class: "col-actions",
            cell: (t) => [
              t.token_id === sessionTokenId ? el("span", { class: "badge badge-muted", text: "Used by this page" }) : null,
              button("Revoke", () => revoke(t), {
                variant: "danger-outline",
                "aria-label": `Revoke token ${describe(t)}`,
              }),
            ],
          },
        ],
      }),
    );
  }

  async function revoke(token) {
    const message = [
      `Revoke the token ${describe(token)}? Anything using it stops working at once. This cannot be undone.`,
    ];
    await confirmRevoke(ctx, token, message, (id) => api.deleteMyToken(id), { errors, status, reload: load });
  }

  async function openGenerate() {
    const created = await openDialog("Generate new token", (dialog, close) => {
      const formErrors = errorBox();
      const comment = el("input", { type: "text", name: "comment", maxlength: "1000", autocomplete: "off", autofocus: true });
      const lifetime = el("input", {
        type: "number",
        name: "lifetime",
        min: "1",
        max: maxDays ? String(maxDays) : undefined,
        step: "1",
        inputmode: "numeric",
        value: String(maxDays ? Math.min(DEFAULT_LIFETIME_DAYS, maxDays) : DEFAULT_LIFETIME_DAYS),
      });
      const submit = button("Generate", undefined, { variant: "primary", type: "submit" });
      const form = el(
        "form",
        {
          class: "modal-body",
          onsubmit: async (event) => {
            event.preventDefault();
            formErrors.clear();
            const days = lifetime.value.trim();
            let lifetimeSeconds;
            if (days !== "") {
              const n = Number(days);
              if (!Number.isInteger(n) || n < 1) {
                formErrors.show(new Error("Lifetime must be a whole number of days, at least 1."));
                lifetime.focus();
                return;
              }
              lifetimeSeconds = n * 86400;
            }
            submit.disabled = true;
            try {
              close(await api.createToken({ comment: comment.value, lifetimeSeconds }));
            } catch (err) {
              formErrors.show(err);
              submit.disabled = false;
            }
          },
        },
        field({ label: "Comment", input: comment, help: "What the token is for, e.g. \"CI pipeline\"." }),
        field({
          label: "Lifetime (days)",
          input: lifetime,
          help: maxDays
            ? `At most ${maxDays} days (workspace limit). Leave empty for the workspace default.`
            : "Leave empty for the workspace default.",
        }),
        formErrors.node,
        el("div", { class: "modal-actions" }, button("Cancel", () => close()), submit),
      );
      return form;
    });
    if (!created) return;
    await secretDialog({
      title: "Token generated",
      warning: "Copy this token now and keep it somewhere safe: you won't be able to see it again.",
      secrets: [{ label: "Token", value: created.token_value, testId: "new-token-value" }],
    });
    status.show(`Token ${describe(created.token_info || {})} generated.`);
    try {
      await load();
    } catch (err) {
      errors.show(err);
    }
  }

  try {
    const conf = await api.getConf(["maxTokenLifetimeDays"]);
    maxDays = Number.parseInt(conf.maxTokenLifetimeDays, 10) || 0;
  } catch {
    maxDays = 0; // Reading the limit is optional; the server enforces it anyway.
  }
  await load();
}

// --- All tokens (admins) ----------------------------------------------------------------

export async function renderAllTokens(ctx) {
  const { api, container, tokenId: sessionTokenId } = ctx;
  const errors = errorBox();
  const status = statusBox();
  const list = el("div", { class: "card" });

  const filterInput = el("input", { type: "search", name: "created_by", autocomplete: "off", list: uniqueId("principals") });
  const datalist = el("datalist", { id: filterInput.getAttribute("list") });
  let filter = "";
  const form = el(
    "form",
    {
      class: "filter-bar",
      role: "search",
      onsubmit: (event) => {
        event.preventDefault();
        filter = filterInput.value.trim();
        refresh();
      },
    },
    field({ label: "Created by", input: filterInput, help: "A user name (e-mail) or a service principal's application ID." }),
    datalist,
    el(
      "div",
      { class: "filter-actions" },
      button("Filter", undefined, { variant: "primary", type: "submit" }),
      button("Clear", () => {
        filterInput.value = "";
        filter = "";
        refresh();
      }),
    ),
  );

  container.append(
    pageHeader("All tokens", "Every valid personal access token in the workspace. Revoking one stops it at once."),
    el("div", { class: "card card-padded" }, form),
    errors.node,
    status.node,
    list,
  );

  // SCIM id -> a readable name, to show whom each token authenticates as.
  const names = new Map();
  try {
    const [users, sps] = await Promise.all([api.listUsers(), api.listServicePrincipals()]);
    for (const u of users) names.set(String(u.id), { name: u.userName || u.displayName, login: u.userName });
    for (const s of sps) names.set(String(s.id), { name: s.displayName || s.applicationId, login: s.applicationId, sp: true });
    for (const u of users) if (u.userName) datalist.append(el("option", { value: u.userName }));
    for (const s of sps) if (s.applicationId) datalist.append(el("option", { value: s.applicationId, label: s.displayName || s.applicationId }));
  } catch {
    // Names are a nicety: ids are shown instead.
  }

  // The principal the token authenticates as; who created it when that is someone else (OBO).
  function ownerCell(t) {
    const owner = names.get(String(t.owner_id));
    const ownerLogin = owner ? owner.login : undefined;
    const lines = [el("span", { class: "cell-main", text: owner ? owner.name : String(t.owner_id ?? "—") })];
    if (owner && owner.sp) lines.push(el("span", { class: "cell-sub mono", text: owner.login }));
    if (t.created_by_username && t.created_by_username !== ownerLogin) {
      lines.push(el("span", { class: "cell-sub", text: `created by ${t.created_by_username}` }));
    }
    return lines;
  }

  async function load() {
    const tokens = await api.listAllTokens(filter);
    if (!ctx.isCurrent()) return;
    tokens.sort(byNewest);
    clear(list);
    list.append(
      dataTable({
        caption: "All personal access tokens",
        empty: filter ? `No tokens created by ${filter}.` : "No tokens yet.",
        rows: tokens,
        rowAttrs: (t) => ({ "data-token-id": t.token_id }),
        columns: [
          { label: "Comment", class: "col-comment", cell: (t) => commentCell(t.comment) },
          { label: "Owner", class: "col-wrap", cell: (t) => ownerCell(t) },
          { label: "Created", cell: (t) => timeCell(t.creation_time) },
          { label: "Expires", cell: (t) => timeCell(t.expiry_time, formatExpiry) },
          { label: "Last used", cell: (t) => timeCell(t.last_used_day, formatDay) },
          {
            label: "",
            class: "col-actions",
            cell: (t) =>
              button("Revoke", () => revoke(t), { variant: "danger-outline", "aria-label": `Revoke token ${describe(t)}` }),
          },
        ],
      }),
    );
  }

  async function revoke(token) {
    const owner = names.get(String(token.owner_id))?.name || token.created_by_username || "its owner";
    const message = [`Revoke the token ${describe(token)} of ${owner}? Anything using it stops working at once.`];
    await confirmRevoke(ctx, token, message, (id) => api.deleteAnyToken(id), { errors, status, reload: load });
  }

  async function refresh() {
    errors.clear();
    try {
      await load();
    } catch (err) {
      errors.show(err);
    }
  }

  await load();
}
