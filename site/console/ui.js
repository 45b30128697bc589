// Small pieces every screen uses: loading an API answer, showing an error, amounts, headings.
import { html, useCallback, useEffect, useRef, useState } from "./vendor/htm-preact.js";
import { api, download } from "./api.js";
import { has, money, t } from "./i18n.js";

export { html };

/** GET `path` (with `query`) whenever they change: {data, error, loading, reload}. */
export function useApi(path, query) {
  const key = JSON.stringify([path, query]);
  const [state, setState] = useState({ data: null, error: null, loading: true });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    setState((s) => ({ ...s, loading: true, error: null }));
    api(path, { query })
      .then((data) => live && setState({ data, error: null, loading: false }))
      .catch((error) => live && setState({ data: null, error, loading: false }));
    return () => { live = false; };
  }, [key, tick]);
  const reload = useCallback(() => setTick((n) => n + 1), []);
  return { ...state, reload };
}

/** What went wrong, in words a person can act on. */
export function errorText(error) {
  if (!error) return "";
  if (has(`error.${error.code}`)) return t(`error.${error.code}`, { field: error.field || "" });
  return error.status >= 400 && error.status < 500 && error.message ? error.message : t("error.server");
}

export function ErrorNote({ error, retry }) {
  if (!error || error.status === 401) return null;
  return html`<div class="alert" role="alert"><p>${errorText(error)}</p>
    ${retry && html`<button type="button" onClick=${retry}>${t("retry")}</button>`}</div>`;
}

export const Loading = () => html`<p class="muted" role="status">${t("loading")}</p>`;

export const Money = ({ value }) => html`<span class="num">${money(value)}</span>`;

/** The screen's heading: the shell moves focus here when the route changes. */
export const Title = ({ children }) => html`<h1 tabindex="-1">${children}</h1>`;

/** A button's work: {busy, error, run(fn)}; run returns fn's answer, or undefined when it failed. */
export function useAction() {
  const [state, setState] = useState({ busy: false, error: null });
  const run = async (fn) => {
    setState({ busy: true, error: null });
    try {
      const answer = await fn();
      setState({ busy: false, error: null });
      return answer;
    } catch (error) {
      setState({ busy: false, error });
      return undefined;
    }
  };
  return { ...state, run };
}

/** A labelled input whose API error (matched by `field`) is shown beside it and read with it. */
export function Field({ id, label, error, field, hint, as = "input", ...rest }) {
  const mine = error && error.field && error.field === (field || rest.name) ? errorText(error) : null;
  const described = [hint && `${id}-hint`, mine && `${id}-err`].filter(Boolean).join(" ") || undefined;
  const Tag = as;
  return html`<div class="field">
    <label for=${id}>${label}</label>
    ${hint && html`<p class="hint" id=${`${id}-hint`}>${hint}</p>`}
    <${Tag} id=${id} aria-invalid=${mine ? "true" : undefined} aria-describedby=${described} ...${rest} />
    ${mine && html`<p class="err" id=${`${id}-err`}>${mine}</p>`}
  </div>`;
}

/** Saves a CSV export of the API (with the screen's filters) as a file. */
export function CsvButton({ path, name, query }) {
  const [error, setError] = useState(null);
  const save = () => download(path, name, query).then(() => setError(null), setError);
  return html`<button type="button" class="quiet" onClick=${save}>${t("rec.csv", { name })}</button>
    ${error && html`<span class="err" role="alert">${errorText(error)}</span>`}`;
}

/** A destructive button that asks once more, in place, instead of a browser dialog. */
export function Confirm({ label, confirm, onConfirm, busy }) {
  const [asking, setAsking] = useState(false);
  const yes = useRef(null);
  useEffect(() => { if (asking) yes.current?.focus(); }, [asking]);
  if (!asking) return html`<button type="button" class="danger" onClick=${() => setAsking(true)}>${label}</button>`;
  return html`<span class="confirm">
    <button type="button" class="danger" ref=${yes} disabled=${busy} onClick=${onConfirm}>${confirm}</button>
    <button type="button" class="quiet" onClick=${() => setAsking(false)}>${t("cancel")}</button></span>`;
}
