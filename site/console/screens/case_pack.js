// The case's evidence pack: asked for once, then the build is followed (every 2 s, while the screen is
// open) until the link is ready or the build failed.
import { html, useEffect, useRef, useState } from "../vendor/htm-preact.js";
import { api } from "../api.js";
import { dateTime, t } from "../i18n.js";
import { ErrorNote } from "../ui.js";

const EVERY_MS = 2000;

export function EvidencePack({ id }) {
  const [pack, setPack] = useState(null);
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const timer = useRef(null);
  const live = useRef(true);
  useEffect(() => () => { live.current = false; clearTimeout(timer.current); }, []);

  const follow = (answer) => {
    if (!live.current) return;
    setPack(answer);
    if (answer.status !== "building") { setBusy(false); return; }
    timer.current = setTimeout(() => api(answer.status_url).then(follow, fail), EVERY_MS);
  };
  const fail = (err) => { if (live.current) { setError(err); setBusy(false); } };
  const build = () => {
    clearTimeout(timer.current);
    setBusy(true); setError(null); setPack(null);
    api(`/admin/cases/${encodeURIComponent(id)}/evidence-pack`).then(follow, fail);
  };

  return html`<section aria-labelledby="pack-h"><h2 id="pack-h">${t("case.pack")}</h2>
    <button type="button" onClick=${build} disabled=${busy}>${t("case.pack.build")}</button>
    <p role="status">${pack?.status === "building" ? t("case.pack.building") : ""}${
      pack?.status === "ready" ? html`<a href=${pack.url} id="pack-link">${t("case.pack.download")}</a>
        ${pack.expires_at ? ` · ${t("case.pack.expires", { at: dateTime(pack.expires_at) })}` : ""}` : ""}</p>
    ${pack?.status === "failed" && html`<div class="alert" role="alert"><p>${
      t("case.pack.failed", { error: pack.error })}</p></div>`}
    <${ErrorNote} error=${error} />
  </section>`;
}
