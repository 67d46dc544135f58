// Token permissions (admins): who may create and use personal access tokens (spec §5.6).
// Granting is a PATCH with one entry; revoking is a PUT of the direct grants without it.
import { button, clear, confirmDialog, dataTable, el, errorBox, field, pageHeader, statusBox, uniqueId } from "./ui.js";

const KINDS = [
  { key: "user_name", label: "User", nameLabel: "User name (e-mail)" },
  { key: "group_name", label: "Group", nameLabel: "Group name" },
  { key: "service_principal_name", label: "Service principal", nameLabel: "Application ID" },
];

function kindOf(entry) {
  return KINDS.find((k) => typeof entry[k.key] === "string" && entry[k.key] !== "");
}

function principalText(entry) {
  const kind = kindOf(entry);
  const name = kind ? entry[kind.key] : "?";
  return entry.display_name && entry.display_name !== name ? `${entry.display_name} (${name})` : name;
}

// The direct (not inherited) levels of an entry.
function directLevels(entry) {
  return (entry.all_permissions || []).filter((p) => !p.inherited).map((p) => p.permission_level);
}

export async function renderPermissions(ctx) {
  const { api, container } = ctx;
  const errors = errorBox();
  const status = statusBox();
  const list = el("div", { class: "card" });
  let acl = [];

  // Grant form.
  const kindSelect = el(
    "select",
    { name: "kind" },
    KINDS.map((k) => el("option", { value: k.key, text: k.label })),
  );
  const nameInput = el("input", { type: "text", name: "principal", autocomplete: "off", required: true, list: uniqueId("names") });
  const suggestions = { user_name: [], group_name: [], service_principal_name: [] };
  const datalist = el("datalist", { id: nameInput.getAttribute("list") });
  const nameField = field({ label: KINDS[0].nameLabel, input: nameInput });
  const fillSuggestions = () => {
    clear(datalist);
    for (const { value, label } of suggestions[kindSelect.value]) datalist.append(el("option", { value, label }));
    nameField.querySelector("label").textContent = KINDS.find((k) => k.key === kindSelect.value).nameLabel;
  };
  kindSelect.addEventListener("change", fillSuggestions);
  const grantButton = button("Grant CAN_USE", undefined, { variant: "primary", type: "submit" });
  const grantForm = el(
    "form",
    {
      class: "grant-form",
      "aria-labelledby": "grant-heading",
      onsubmit: async (event) => {
        event.preventDefault();
        errors.clear();
        status.clear();
        const name = nameInput.value.trim();
        if (!name) {
          errors.show(new Error("Enter the name of the principal to grant CAN_USE to."));
          nameInput.focus();
          return;
        }
        const kind = KINDS.find((k) => k.key === kindSelect.value);
        grantButton.disabled = true;
        try {
          const result = await api.addTokenPermissions([{ [kind.key]: name, permission_level: "CAN_USE" }]);
          nameInput.value = "";
          status.show(`Granted CAN_USE to ${kind.label.toLowerCase()} ${name}.`);
          show(result);
        } catch (err) {
          errors.show(err);
        } finally {
          grantButton.disabled = false;
        }
      },
    },
    el("h2", { id: "grant-heading", class: "section-title", text: "Grant permission" }),
    el(
      "div",
      { class: "form-row" },
      field({ label: "Principal type", input: kindSelect }),
      nameField,
      datalist,
      el("div", { class: "form-row-action" }, grantButton),
    ),
  );

  container.append(
    pageHeader(
      "Token permissions",
      "Who may create and use personal access tokens. Members of admins always can (CAN_MANAGE). Removing someone's last permission revokes their tokens at once.",
    ),
    errors.node,
    status.node,
    list,
    el("div", { class: "card card-padded" }, grantForm),
  );

  function show(result) {
    if (!ctx.isCurrent()) return;
    acl = Array.isArray(result.access_control_list) ? result.access_control_list : [];
    clear(list);
    list.append(
      dataTable({
        caption: "Token permissions",
        empty: "Nobody has been granted permission on tokens yet.",
        rows: acl,
        rowAttrs: (e) => ({ "data-principal": e[kindOf(e)?.key] || "" }),
        columns: [
          { label: "Principal", cell: (e) => principalText(e) },
          { label: "Type", cell: (e) => kindOf(e)?.label || "—" },
          { label: "Permission", cell: (e) => (e.all_permissions || []).map((p) => p.permission_level).join(", ") || "—" },
          {
            label: "",
            class: "col-actions",
            cell: (e) => {
              const levels = directLevels(e);
              if (levels.includes("CAN_MANAGE") || !levels.length) {
                return el("span", { class: "muted", text: levels.includes("CAN_MANAGE") ? "Always" : "Inherited" });
              }
              return button("Remove", () => revoke(e), {
                variant: "danger-outline",
                "aria-label": `Remove the permission of ${principalText(e)}`,
              });
            },
          },
        ],
      }),
    );
  }

  async function revoke(entry) {
    const who = principalText(entry);
    const ok = await confirmDialog({
      title: "Remove permission",
      message: `Remove CAN_USE from ${who}? If it was their last permission on tokens, their tokens are revoked at once.`,
      confirmLabel: "Remove",
    });
    if (!ok) return;
    errors.clear();
    status.clear();
    // The full set of direct grants, minus this one (PUT replaces them all).
    const remaining = [];
    for (const e of acl) {
      if (e === entry) continue;
      const kind = kindOf(e);
      if (!kind) continue;
      for (const level of directLevels(e)) remaining.push({ [kind.key]: e[kind.key], permission_level: level });
    }
    try {
      show(await api.replaceTokenPermissions(remaining));
      status.show(`Removed the permission of ${who}.`);
    } catch (err) {
      errors.show(err);
    }
  }

  show(await api.getTokenPermissions());

  // Suggestions for the name field; optional.
  try {
    const [users, groups, sps] = await Promise.all([api.listUsers(), api.listGroups(), api.listServicePrincipals()]);
    suggestions.user_name = users.filter((u) => u.userName).map((u) => ({ value: u.userName, label: u.displayName || u.userName }));
    suggestions.group_name = groups.filter((g) => g.displayName).map((g) => ({ value: g.displayName, label: g.displayName }));
    suggestions.service_principal_name = sps
      .filter((s) => s.applicationId)
      .map((s) => ({ value: s.applicationId, label: s.displayName || s.applicationId }));
    if (ctx.isCurrent()) fillSuggestions();
  } catch {
    // Typing the name works without suggestions.
  }
}
