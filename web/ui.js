// DOM helpers shared by the pages. Every value reaches the page through text nodes,
// textContent or element properties; nothing here ever assigns HTML markup, so a comment such
// as "<script>alert(1)</script>" is shown as text.

let nextId = 0;
export function uniqueId(prefix) {
  nextId += 1;
  return `${prefix}-${nextId}`;
}

// el("button", {class: "button", type: "button", onclick: fn}, "Revoke")
// attrs: "class", "text", "for", on<event> (functions only), "hidden"/"disabled"/... (booleans),
// anything else as an attribute. Children: nodes, strings (as text), arrays, null/false (skipped).
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on")) {
      if (typeof value !== "function") throw new TypeError(`${key} must be a function`);
      node.addEventListener(key.slice(2), value);
    } else if (key === "class") {
      node.className = value;
    } else if (key === "text") {
      node.textContent = String(value);
    } else if (key === "for") {
      node.htmlFor = value;
    } else if (key === "value") {
      node.value = String(value);
    } else if (key === "style" || key === "innerHTML" || key === "outerHTML") {
      throw new TypeError(`el(): ${key} is not allowed (CSP and escaping rules)`);
    } else if (value === true) {
      node.setAttribute(key, "");
    } else {
      node.setAttribute(key, String(value));
    }
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(node, child);
    else if (child instanceof Node) node.appendChild(child);
    else node.appendChild(document.createTextNode(String(child)));
  }
}

export function clear(node) {
  while (node.firstChild) node.removeChild(node.firstChild);
}

// --- Formatting -------------------------------------------------------------------------

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
const dateOnly = new Intl.DateTimeFormat(undefined, { dateStyle: "medium" });

function validTime(ms) {
  return typeof ms === "number" && Number.isFinite(ms) && ms > 0;
}
export function formatTime(ms) {
  return validTime(ms) ? dateTime.format(new Date(ms)) : "—";
}
export function formatDay(ms) {
  return validTime(ms) ? dateOnly.format(new Date(ms)) : "—";
}
// Token expiry: -1 (or absent) means the token never expires.
export function formatExpiry(ms) {
  if (ms === -1 || ms === undefined || ms === null) return "Never";
  return formatTime(ms);
}
// RFC 3339 strings (OAuth secrets).
export function formatIso(text) {
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? (text || "—") : dateTime.format(new Date(ms));
}

// A <time> element whose visible text is formatted and whose datetime is machine-readable.
export function timeCell(ms, formatter = formatTime) {
  if (!validTime(ms)) return el("span", { class: "muted", text: formatter(ms) });
  return el("time", { datetime: new Date(ms).toISOString(), text: formatter(ms) });
}

// --- Page furniture ---------------------------------------------------------------------

// The page heading (focus target after navigation) and an optional description.
export function pageHeader(title, description, ...actions) {
  return el(
    "div",
    { class: "page-header" },
    el(
      "div",
      { class: "page-title" },
      el("h1", { tabindex: "-1", text: title }),
      description ? el("p", { class: "page-description", text: description }) : null,
    ),
    actions.length ? el("div", { class: "page-actions" }, actions) : null,
  );
}

// An alert area for errors. show(err) writes the API's message; clear() hides it.
export function errorBox() {
  const box = el("div", { class: "alert alert-error", role: "alert", hidden: true });
  return {
    node: box,
    show(err) {
      box.textContent = messageOf(err);
      box.hidden = false;
    },
    clear() {
      box.textContent = "";
      box.hidden = true;
    },
  };
}

// A polite status line for successes ("Token revoked.").
export function statusBox() {
  const box = el("div", { class: "alert alert-success", role: "status", hidden: true });
  return {
    node: box,
    show(text) {
      box.textContent = text;
      box.hidden = false;
    },
    clear() {
      box.textContent = "";
      box.hidden = true;
    },
  };
}

export function messageOf(err) {
  if (err && typeof err.message === "string" && err.message) return err.message;
  return String(err);
}

export function button(label, onclick, { variant = "secondary", type = "button", ...attrs } = {}) {
  return el("button", { class: `button ${variant}`, type, onclick, ...attrs }, label);
}

// A table, or the empty-state text when there are no rows.
// columns: [{label, cell: row => Node|string, class?}]
export function dataTable({ caption, columns, rows, empty, rowAttrs }) {
  if (!rows.length) return el("p", { class: "empty-state", text: empty });
  columns = columns.filter(Boolean);
  return el(
    "div",
    { class: "table-wrap" },
    el(
      "table",
      { class: "data-table" },
      el("caption", { class: "visually-hidden", text: caption }),
      el(
        "thead",
        {},
        el(
          "tr",
          {},
          columns.map((c) =>
            c.label
              ? el("th", { scope: "col", class: c.class, text: c.label })
              : el("th", { scope: "col", class: c.class }, el("span", { class: "visually-hidden", text: c.srLabel || "Actions" })),
          ),
        ),
      ),
      el(
        "tbody",
        {},
        rows.map((row) =>
          el("tr", rowAttrs ? rowAttrs(row) : {}, columns.map((c) => el("td", { class: c.class }, c.cell(row)))),
        ),
      ),
    ),
  );
}

export function field({ label, input, help }) {
  if (!input.id) input.id = uniqueId("field");
  let helpNode = null;
  if (help) {
    helpNode = el("p", { class: "help", id: uniqueId("help"), text: help });
    input.setAttribute("aria-describedby", helpNode.id);
  }
  return el("div", { class: "field" }, el("label", { for: input.id, text: label }), input, helpNode);
}

// --- Dialogs ----------------------------------------------------------------------------

// Opens a modal <dialog>. build(dialog, close) returns the body nodes. Resolves with the value
// passed to close() (undefined on Escape). Focus moves into the dialog (to the element marked
// autofocus, else the first focusable one) and returns to the opener afterwards.
export function openDialog(title, build, { className = "" } = {}) {
  const opener = document.activeElement;
  const titleId = uniqueId("dialog-title");
  const dialog = el("dialog", { class: `modal ${className}`.trim(), "aria-labelledby": titleId });
  let result;
  const close = (value) => {
    result = value;
    dialog.close();
  };
  const done = new Promise((resolve) => {
    dialog.addEventListener("close", () => {
      dialog.remove();
      if (opener && opener.isConnected && typeof opener.focus === "function") opener.focus();
      resolve(result);
    });
  });
  dialog.append(el("h2", { id: titleId, class: "modal-title", text: title }), ...[build(dialog, close)].flat());
  document.body.append(dialog);
  dialog.showModal();
  const focusTarget = dialog.querySelector("[autofocus]");
  if (focusTarget) focusTarget.focus();
  return done;
}

// Resolves true when the user confirms. Focus starts on Cancel: the safe choice.
export function confirmDialog({ title, message, confirmLabel, danger = true }) {
  return openDialog(title, (dialog, close) => [
    el("div", { class: "modal-body" }, [message].flat().map((p) => el("p", { text: p }))),
    el(
      "div",
      { class: "modal-actions" },
      button("Cancel", () => close(false), { autofocus: true }),
      button(confirmLabel, () => close(true), { variant: danger ? "danger" : "primary" }),
    ),
  ]).then((v) => v === true);
}

// Shows secrets once: each {label, value} in a read-only field with its own Copy button.
export function secretDialog({ title, warning, secrets }) {
  return openDialog(
    title,
    (dialog, close) => {
      const live = el("p", { class: "copy-status", role: "status" });
      const rows = secrets.map(({ label, value, testId }, index) => {
        const input = el("input", {
          type: "text",
          class: "secret-value",
          readonly: true,
          spellcheck: "false",
          autocomplete: "off",
          value,
          "data-testid": testId,
        });
        const copy = button("Copy", async () => {
          try {
            await navigator.clipboard.writeText(input.value);
            live.textContent = `${label} copied to the clipboard.`;
          } catch {
            input.select();
            live.textContent = "Copying was blocked by the browser: the value is selected, press Ctrl+C.";
          }
        }, { "aria-label": `Copy ${label.toLowerCase()}`, class: "button secondary copy-button", autofocus: index === 0 });
        const f = field({ label, input });
        f.append(el("div", { class: "secret-row" }, input, copy));
        return f;
      });
      // field() put the input right after its label; the row above moved it next to Copy.
      return [
        el("div", { class: "alert alert-warning", text: warning }),
        el("div", { class: "modal-body" }, rows, live),
        el("div", { class: "modal-actions" }, button("Done", () => close(), { variant: "primary" })),
      ];
    },
    { className: "modal-secret" },
  ).then(() => {
    // Nothing keeps a reference to the value once the dialog has gone.
  });
}
