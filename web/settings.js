// Workspace settings (admins): enableTokensConfig and maxTokenLifetimeDays (spec §6). The
// API takes and returns strings.
import { button, confirmDialog, el, errorBox, field, pageHeader, statusBox } from "./ui.js";

const KEYS = ["enableTokensConfig", "maxTokenLifetimeDays"];

export async function renderSettings(ctx) {
  const { api, container } = ctx;
  const errors = errorBox();
  const status = statusBox();

  const conf = await api.getConf(KEYS);
  if (!ctx.isCurrent()) return;
  let savedEnabled = String(conf.enableTokensConfig ?? "true") !== "false";

  const enabled = el("input", { type: "checkbox", name: "enableTokensConfig", id: "enable-tokens" });
  enabled.checked = savedEnabled;
  const maxDays = el("input", {
    type: "number",
    name: "maxTokenLifetimeDays",
    min: "1",
    max: "730",
    step: "1",
    inputmode: "numeric",
    value: conf.maxTokenLifetimeDays && conf.maxTokenLifetimeDays !== "0" ? conf.maxTokenLifetimeDays : "",
  });
  const save = button("Save", undefined, { variant: "primary", type: "submit" });

  const form = el(
    "form",
    {
      class: "settings-form",
      onsubmit: async (event) => {
        event.preventDefault();
        errors.clear();
        status.clear();
        const days = maxDays.value.trim();
        if (days !== "" && !/^[0-9]+$/.test(days)) {
          errors.show(new Error("Maximum lifetime must be a whole number of days, or empty for no limit."));
          maxDays.focus();
          return;
        }
        if (savedEnabled && !enabled.checked) {
          const ok = await confirmDialog({
            title: "Turn off personal access tokens",
            message: [
              "Every personal access token stops working while tokens are off, and nobody can create new ones.",
              "This page signs in with a token too: you will be signed out.",
            ],
            confirmLabel: "Turn off",
          });
          if (!ok) return;
        }
        save.disabled = true;
        try {
          await api.setConf({
            enableTokensConfig: enabled.checked ? "true" : "false",
            maxTokenLifetimeDays: days,
          });
          savedEnabled = enabled.checked;
          status.show("Settings saved.");
        } catch (err) {
          errors.show(err);
        } finally {
          save.disabled = false;
        }
      },
    },
    el(
      "div",
      { class: "setting" },
      el(
        "div",
        { class: "checkbox-field" },
        enabled,
        el("label", { for: "enable-tokens", text: "Allow personal access tokens" }),
      ),
      el("p", {
        class: "help",
        id: "enable-tokens-help",
        text: "When off, no token can be created or used; existing tokens work again once turned back on.",
      }),
    ),
    el(
      "div",
      { class: "setting" },
      field({
        label: "Maximum lifetime of new tokens (days)",
        input: maxDays,
        help: "From 1 to 730. Leave empty for no limit. Applies to tokens created from now on.",
      }),
    ),
    el("div", { class: "form-actions" }, save),
  );
  enabled.setAttribute("aria-describedby", "enable-tokens-help");

  container.append(
    pageHeader("Workspace settings", "Personal access token settings for the whole workspace."),
    errors.node,
    status.node,
    el("div", { class: "card card-padded" }, form),
  );
}
