// The live monitor's one form dialog: a modal <dialog> that asks for what a control needs (minutes, a reason,
// a message), runs the control and shows a refusal inside it, so the teacher can correct and try again. The
// keyboard works as in any dialog: the first field has the focus, Enter sends, Escape cancels, and the focus
// goes back to the button that opened it.

let fieldCount = 0;

function fieldRow(field) {
  const id = `control-field-${(fieldCount += 1)}`;
  const row = document.createElement("div");
  row.className = "dialog-field";
  const label = Object.assign(document.createElement("label"), { htmlFor: id, textContent: field.label });
  const input = document.createElement(field.type === "textarea" ? "textarea" : "input");
  input.id = id;
  input.name = field.name;
  if (field.type !== "textarea") input.type = field.type || "text";
  for (const attribute of ["min", "max", "step", "maxLength", "placeholder"]) {
    if (field[attribute] !== undefined) input[attribute] = field[attribute];
  }
  if (field.type === "textarea") input.rows = 3;
  input.required = Boolean(field.required);
  input.value = field.value ?? "";
  row.append(label, input);
  if (field.hint) {
    const hint = Object.assign(document.createElement("small"), { className: "hint", textContent: field.hint });
    hint.id = `${id}-hint`;
    input.setAttribute("aria-describedby", hint.id);
    row.append(hint);
  }
  return row;
}

/** Turn the page's #control-dialog into `ask(...)`. */
export function createFormDialog(dialog) {
  const form = dialog.querySelector("form");
  const title = dialog.querySelector("h2");
  const text = dialog.querySelector(".dialog-text");
  const fieldsBox = dialog.querySelector(".dialog-fields");
  const errorBox = dialog.querySelector(".dialog-error");
  const submitButton = form.querySelector('button[type="submit"]');
  let current = null;

  function showError(message) {
    errorBox.textContent = message;
    errorBox.hidden = !message;
  }

  function close() {
    if (dialog.open) dialog.close();
  }

  dialog.querySelector("[data-dialog-cancel]").addEventListener("click", close);
  dialog.addEventListener("close", () => {
    const finished = current;
    current = null;
    if (!finished) return;
    finished.opener?.focus?.();
    finished.resolve(finished.done);
  });

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!current || current.busy || !form.reportValidity()) return;
    const values = {};
    for (const field of current.fields) {
      const raw = form.elements[field.name].value;
      values[field.name] = field.type === "number" ? Number(raw) : raw.trim();
    }
    const problem = current.validate?.(values);
    if (problem) {
      showError(problem);
      return;
    }
    const question = typeof current.confirm === "function" ? current.confirm(values) : current.confirm;
    if (question && !window.confirm(question)) return;
    showError("");
    current.busy = true;
    submitButton.disabled = true;
    submitButton.setAttribute("aria-busy", "true");
    try {
      await current.run(values);
      current.done = true;
      close();
    } catch (error) {
      showError(error?.message || String(error));
    } finally {
      if (current) current.busy = false;
      submitButton.disabled = false;
      submitButton.removeAttribute("aria-busy");
    }
  });

  /**
   * Ask, then run: `fields` [{name, label, type, value, min, max, step, maxLength, required, hint}], `run(values)`
   * does the control (its error's message shows in the dialog, which stays open), `validate(values)` returns a
   * problem or "", `confirm` (text, or values → text) asks once more before an irreversible control. Resolves
   * with true once it ran, false when cancelled.
   */
  return function ask({ title: heading, text: body = "", fields = [], submit, danger = false, validate, confirm, run }) {
    if (current) close();
    return new Promise((resolve) => {
      current = { fields, validate, confirm, run, resolve, done: false, busy: false, opener: document.activeElement };
      title.textContent = heading;
      text.textContent = body;
      text.hidden = !body;
      fieldsBox.replaceChildren(...fields.map(fieldRow));
      submitButton.textContent = submit;
      submitButton.classList.toggle("danger", danger);
      submitButton.classList.toggle("primary", !danger);
      submitButton.disabled = false;
      showError("");
      dialog.showModal();
      (fieldsBox.querySelector("input, textarea") || submitButton).focus();
    });
  };
}
