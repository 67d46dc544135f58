// Service principals (admins) and their OAuth secrets (spec §7.3, §8.5). A new secret is shown
// once, with the client id it goes with.
import {
  button, clear, confirmDialog, dataTable, el, errorBox, field, formatIso, pageHeader,
  secretDialog, statusBox,
} from "./ui.js";

function spName(sp) {
  return sp.displayName || sp.applicationId || sp.id;
}

export async function renderServicePrincipals(ctx) {
  const { api, container } = ctx;
  const errors = errorBox();
  const status = statusBox();
  const list = el("div", { class: "card" });
  const secretsPanel = el("section", { class: "card card-padded secrets-panel", hidden: true });
  const policiesPanel = el("section", { class: "card card-padded policies-panel", hidden: true });
  let selected = null;

  container.append(
    pageHeader(
      "Service principals",
      "Machine identities of the workspace. An OAuth secret lets a service principal get access tokens with the client-credentials grant (/oidc/v1/token).",
    ),
    errors.node,
    status.node,
    list,
    secretsPanel,
    policiesPanel,
  );

  const sps = await api.listServicePrincipals();
  if (!ctx.isCurrent()) return;
  sps.sort((a, b) => spName(a).localeCompare(spName(b)));
  list.append(
    dataTable({
      caption: "Service principals",
      empty: "No service principals yet. Add one with SCIM (POST /api/2.0/preview/scim/v2/ServicePrincipals) or the CLI.",
      rows: sps,
      rowAttrs: (sp) => ({ "data-application-id": sp.applicationId || "" }),
      columns: [
        { label: "Name", cell: (sp) => spName(sp) },
        { label: "Application ID", class: "mono", cell: (sp) => sp.applicationId || "—" },
        { label: "Status", cell: (sp) => (sp.active === false ? el("span", { class: "badge badge-muted", text: "Inactive" }) : "Active") },
        {
          label: "",
          class: "col-actions",
          cell: (sp) =>
            el(
              "div",
              { class: "actions" },
              button("OAuth secrets", () => select(sp), { "aria-label": `OAuth secrets of ${spName(sp)}` }),
              button("Federation policies", () => selectPolicies(sp), {
                "aria-label": `Federation policies of ${spName(sp)}`,
              }),
            ),
        },
      ],
    }),
  );

  async function select(sp) {
    selected = sp;
    errors.clear();
    status.clear();
    await showSecrets();
    const heading = secretsPanel.querySelector("h2");
    if (heading) heading.focus();
  }

  async function showSecrets() {
    const sp = selected;
    let secrets;
    try {
      secrets = await api.listSecrets(sp.id);
    } catch (err) {
      errors.show(err);
      return;
    }
    if (!ctx.isCurrent() || selected !== sp) return;
    const lifetime = el("input", { type: "number", name: "lifetime", min: "1", max: "730", step: "1", inputmode: "numeric", value: "730" });
    const create = button("Create secret", undefined, { variant: "primary", type: "submit" });
    const form = el(
      "form",
      {
        class: "form-row secret-create",
        "aria-label": `New OAuth secret for ${spName(sp)}`,
        onsubmit: async (event) => {
          event.preventDefault();
          errors.clear();
          status.clear();
          const days = Number(lifetime.value.trim() || "0");
          if (!Number.isInteger(days) || days < 0) {
            errors.show(new Error("Lifetime must be a whole number of days."));
            return;
          }
          create.disabled = true;
          try {
            const created = await api.createSecret(sp.id, days);
            await secretDialog({
              title: "OAuth secret created",
              warning: "Copy the secret now and keep it somewhere safe: you won't be able to see it again.",
              secrets: [
                { label: "Client ID", value: sp.applicationId || "", testId: "secret-client-id" },
                { label: "Client secret", value: created.secret, testId: "new-secret-value" },
              ],
            });
            status.show(`Secret created for ${spName(sp)}; it expires ${formatIso(created.expire_time)}.`);
            await showSecrets();
          } catch (err) {
            errors.show(err);
          } finally {
            create.disabled = false;
          }
        },
      },
      field({ label: "Lifetime (days)", input: lifetime }),
      el("div", { class: "form-row-action" }, create),
    );
    clear(secretsPanel);
    secretsPanel.hidden = false;
    secretsPanel.append(
      el("h2", { class: "section-title", tabindex: "-1", text: `OAuth secrets of ${spName(sp)}` }),
      dataTable({
        caption: `OAuth secrets of ${spName(sp)}`,
        empty: "No secrets yet.",
        rows: secrets,
        columns: [
          { label: "Secret ID", class: "mono", cell: (s) => s.id },
          { label: "Created", cell: (s) => formatIso(s.create_time) },
          { label: "Expires", cell: (s) => formatIso(s.expire_time) },
          { label: "Status", cell: (s) => s.status || "—" },
          {
            label: "",
            class: "col-actions",
            cell: (s) => button("Delete", () => remove(sp, s), { variant: "danger-outline", "aria-label": `Delete secret ${s.id}` }),
          },
        ],
      }),
      form,
    );
  }

  async function remove(sp, secret) {
    const ok = await confirmDialog({
      title: "Delete OAuth secret",
      message: `Delete secret ${secret.id} of ${spName(sp)}? Clients using it can no longer get tokens.`,
      confirmLabel: "Delete",
    });
    if (!ok) return;
    errors.clear();
    status.clear();
    try {
      await api.deleteSecret(sp.id, secret.id);
      status.show(`Secret ${secret.id} deleted.`);
      await showSecrets();
    } catch (err) {
      errors.show(err);
    }
  }

  // Databricks token federation (issue 21): which external workloads may become this service
  // principal. A policy names the issuer, the subject and the accepted audiences.
  let policiesOf = null;
  async function selectPolicies(sp) {
    policiesOf = sp;
    errors.clear();
    status.clear();
    await showPolicies();
    const heading = policiesPanel.querySelector("h2");
    if (heading) heading.focus();
  }

  async function showPolicies() {
    const sp = policiesOf;
    let policies;
    try {
      policies = await api.listFederationPolicies(sp.id);
    } catch (err) {
      errors.show(err);
      return;
    }
    if (!ctx.isCurrent() || policiesOf !== sp) return;
    const issuer = el("input", { type: "url", name: "issuer", required: true, placeholder: "https://token.actions.githubusercontent.com" });
    const subject = el("input", { type: "text", name: "subject", required: true, placeholder: "repo:org/repo:environment:prod" });
    const audience = el("input", { type: "text", name: "audience", placeholder: "default: the account id" });
    const add = button("Add policy", undefined, { variant: "primary", type: "submit" });
    const form = el(
      "form",
      {
        class: "form-row policy-create",
        "aria-label": `New federation policy for ${spName(sp)}`,
        onsubmit: async (event) => {
          event.preventDefault();
          errors.clear();
          status.clear();
          const oidc = { issuer: issuer.value.trim(), subject: subject.value.trim() };
          if (audience.value.trim()) oidc.audiences = [audience.value.trim()];
          add.disabled = true;
          try {
            const created = await api.createFederationPolicy(sp.id, oidc, "");
            status.show(`Federation policy ${created.policy_id} added for ${spName(sp)}.`);
            await showPolicies();
          } catch (err) {
            errors.show(err);
          } finally {
            add.disabled = false;
          }
        },
      },
      field({ label: "Issuer", input: issuer }),
      field({ label: "Subject", input: subject }),
      field({ label: "Audience", input: audience }),
      el("div", { class: "form-row-action" }, add),
    );
    clear(policiesPanel);
    policiesPanel.hidden = false;
    policiesPanel.append(
      el("h2", { class: "section-title", tabindex: "-1", text: `Federation policies of ${spName(sp)}` }),
      dataTable({
        caption: `Federation policies of ${spName(sp)}`,
        empty: "No federation policies yet.",
        rows: policies,
        columns: [
          { label: "Policy ID", class: "mono", cell: (p) => p.policy_id },
          { label: "Issuer", class: "mono", cell: (p) => p.oidc_policy?.issuer || "—" },
          { label: "Subject", class: "mono", cell: (p) => p.oidc_policy?.subject || "—" },
          { label: "Audiences", cell: (p) => (p.oidc_policy?.audiences || ["(account id)"]).join(", ") },
          {
            label: "",
            class: "col-actions",
            cell: (p) =>
              button("Delete", () => removePolicy(sp, p), { variant: "danger-outline", "aria-label": `Delete policy ${p.policy_id}` }),
          },
        ],
      }),
      form,
    );
  }

  async function removePolicy(sp, policy) {
    const ok = await confirmDialog({
      title: "Delete federation policy",
      message: `Delete policy ${policy.policy_id} of ${spName(sp)}? Workloads using it can no longer exchange their tokens.`,
      confirmLabel: "Delete",
    });
    if (!ok) return;
    errors.clear();
    status.clear();
    try {
      await api.deleteFederationPolicy(sp.id, policy.policy_id);
      status.show(`Federation policy ${policy.policy_id} deleted.`);
      await showPolicies();
    } catch (err) {
      errors.show(err);
    }
  }
}
