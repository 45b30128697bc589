// Pieces the Case and Policy screens share: a modal dialog that keeps and returns the focus, fields that
// show the API's own validation message beside the input it names, and a submit helper.
import { html, useEffect, useRef, useState } from "../vendor/htm-preact.js";
import { errorText } from "../ui.js";
import { t } from "../i18n.js";

let styled = false;
/** The two screens' own styles (style-src 'self': a stylesheet file, never inline). */
export function useScreenStyles() {
  useEffect(() => {
    if (styled) return;
    styled = true;
    document.head.append(Object.assign(document.createElement("link"), { rel: "stylesheet",
      href: "/console/screens/case.css" }));
  }, []);
}

const FOCUSABLE = "a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), "
  + "textarea:not([disabled]), iframe, [tabindex]:not([tabindex='-1'])";

/** A modal <dialog>: focus moves in, Tab stays inside, Escape closes, and the opener gets the focus back. */
export function Dialog({ title, onClose, children, wide }) {
  const ref = useRef(null);
  const id = useRef(`dlg-${Math.random().toString(36).slice(2, 8)}`).current;
  useEffect(() => {
    const opener = document.activeElement;
    const dialog = ref.current;
    dialog.showModal();
    // The first field, not the close button: what the person came to the dialog for.
    (dialog.querySelector(".dialog-body [autofocus]") || dialog.querySelector(`.dialog-body :is(${FOCUSABLE})`)
      || dialog.querySelector(FOCUSABLE))?.focus();
    return () => {
      if (dialog.open) dialog.close();
      if (opener && opener.isConnected) opener.focus();
    };
  }, []);
  const keys = (e) => {
    if (e.key !== "Tab") return;
    const items = [...ref.current.querySelectorAll(FOCUSABLE)].filter((n) => n.offsetParent !== null);
    if (!items.length) return;
    const first = items[0], last = items[items.length - 1];
    if (e.shiftKey && document.activeElement === first) { e.preventDefault(); last.focus(); }
    else if (!e.shiftKey && document.activeElement === last) { e.preventDefault(); first.focus(); }
  };
  // Escape fires "cancel": the dialog is closed by its owner, so the focus goes back the same way.
  const cancel = (e) => { e.preventDefault(); onClose(); };
  return html`<dialog ref=${ref} class=${wide ? "wide" : ""} aria-labelledby=${`${id}-t`} onKeyDown=${keys}
      onCancel=${cancel}>
    <div class="dialog-head"><h2 id=${`${id}-t`}>${title}</h2>
      <button type="button" class="quiet" onClick=${onClose} aria-label=${t("case.close")}>×</button></div>
    <div class="dialog-body">${children}</div>
  </dialog>`;
}

/** {values, set, errors, failure, busy, submit}: `submit(call)` runs the API call, and an error that names a
 * field goes beside that field (which takes the focus); any other error goes to the form's alert. */
export function useForm(initial) {
  const [values, setValues] = useState(initial);
  const [errors, setErrors] = useState({});
  const [failure, setFailure] = useState(null);
  const [busy, setBusy] = useState(false);
  const form = useRef(null);
  const set = (name) => (e) => {
    const value = e.target.type === "checkbox" ? e.target.checked : e.target.value;
    setValues((v) => ({ ...v, [name]: value }));
  };
  const submit = async (call) => {
    setBusy(true);
    setErrors({});
    setFailure(null);
    try {
      return await call(values);
    } catch (error) {
      const target = error.field && form.current?.querySelector(`[data-field="${CSS.escape(error.field)}"]`);
      if (target) {
        setErrors({ [error.field]: errorText(error) });
        setTimeout(() => target.focus(), 0);
      } else setFailure(error);
      return undefined;
    } finally {
      setBusy(false);
    }
  };
  return { values, setValues, set, errors, setErrors, failure, busy, submit, form };
}

/** A labelled input (or select/textarea via `as`) whose error, from the API or the form, is read with it. */
export function Field({ id, field, label, hint, error, as = "input", children, ...rest }) {
  const described = [hint && `${id}-hint`, error && `${id}-err`].filter(Boolean).join(" ") || undefined;
  const attrs = { id, "data-field": field, "aria-invalid": error ? "true" : undefined, "aria-describedby": described,
    ...rest };
  return html`<div class="field">
    <label for=${id}>${label}</label>
    ${hint && html`<p class="hint" id=${`${id}-hint`}>${hint}</p>`}
    ${as === "select" ? html`<select ...${attrs}>${children}</select>`
      : as === "textarea" ? html`<textarea ...${attrs}></textarea>` : html`<input ...${attrs} />`}
    ${error && html`<p class="err" id=${`${id}-err`}>${error}</p>`}
  </div>`;
}

/** The form's error that names no field on it (or names one it does not show). */
export function FormAlert({ failure }) {
  return html`<p class="alert" role="alert">${failure
    ? (failure.field ? `${failure.field}: ${errorText(failure)}` : errorText(failure)) : ""}</p>`;
}

export function Buttons({ busy, label, onClose }) {
  return html`<div class="buttons">
    <button type="submit" class="primary" disabled=${busy}>${label}</button>
    ${onClose && html`<button type="button" class="quiet" onClick=${onClose}>${t("case.cancel")}</button>`}
  </div>`;
}
