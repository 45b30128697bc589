// The console's shell: sign-in gate, header and navigation, and a router on location.hash.
import { html, render, useEffect, useRef, useState } from "./vendor/htm-preact.js";
import { ApiError, api, endSession } from "./api.js";
import { idToken, session, signOut } from "./auth.js";
import { LANGS, chosen, guess, lang, setLang, t, use } from "./i18n.js";
import { ErrorNote } from "./ui.js";
import Today from "./screens/today.js";
import Receivables from "./screens/receivables.js";
import Cases from "./screens/cases.js";
import Settings from "./screens/settings.js";
import SignIn from "./screens/sign_in.js";

// name: the screen; ns: its own strings (i18n/<ns>.<lang>.json) and `load` its module, fetched when it first
// opens (the largest screens, and Your account: none is needed for the first one).
const ROUTES = [
  { path: /^today$/, name: "today", screen: Today, nav: true },
  { path: /^receivables$/, name: "receivables", screen: Receivables, nav: true },
  { path: /^cases$/, name: "cases", screen: Cases, nav: true },
  { path: /^cases\/([\w-]+)$/, name: "case", load: () => import("./screens/case.js"), ns: "case" },
  { path: /^policy$/, name: "policy", load: () => import("./screens/policy.js"), ns: "policy", nav: true },
  { path: /^settings$/, name: "settings", screen: Settings, nav: true },
  { path: /^account$/, name: "account", load: () => import("./screens/account.js"), ns: "account" },
  { path: /^sign-in$/, name: "sign-in", screen: SignIn, open: true },
];

/** "#/cases/c_1?status=open" -> {route, id, query} */
function parse(hash) {
  const [path, search = ""] = hash.replace(/^#\/?/, "").split("?");
  for (const route of ROUTES) {
    const match = route.path.exec(path);
    if (match) return { route, id: match[1] ? decodeURIComponent(match[1]) : null,
      query: Object.fromEntries(new URLSearchParams(search)) };
  }
  return null;
}

export const navigate = (hash) => { location.hash = hash; };

function useHash() {
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    const changed = () => setHash(location.hash);
    window.addEventListener("hashchange", changed);
    return () => window.removeEventListener("hashchange", changed);
  }, []);
  return hash;
}

function Header({ me, current, onLang }) {
  const [busy, setBusy] = useState(false);
  const out = async () => {
    setBusy(true);
    await signOut();
    endSession("signed_out");
  };
  return html`<header class="top">
    <a class="brand" href="#/today">${t("app.name")}${me && html`<span class="broker"> · ${me.broker.name}</span>`}</a>
    <nav aria-label=${t("nav.label")}><ul>
      ${ROUTES.filter((r) => r.nav).map((r) => html`<li><a href=${`#/${r.name}`}
        aria-current=${current === r.name || (current === "case" && r.name === "cases") ? "page" : undefined}
        >${t(`nav.${r.name}`)}</a></li>`)}
    </ul></nav>
    <div class="account">
      <label class="sr-only" for="lang">${t("language")}</label>
      <select id="lang" value=${chosen()} onChange=${(e) => onLang(e.target.value)}>
        ${Object.entries(LANGS).map(([code, name]) => html`<option value=${code} lang=${code}>${name}</option>`)}
      </select>
      ${me && html`<a class="user" href="#/account" aria-current=${current === "account" ? "page" : undefined}
        >${me.user.name || me.user.email} <span class="role">${t(`role.${me.user.role}`)}</span></a>`}
      <button type="button" class="quiet" onClick=${out} disabled=${busy}>${t("signOut")}</button>
    </div>
  </header>`;
}

function App() {
  const hash = useHash();
  const [me, setMe] = useState(null);
  const [failure, setFailure] = useState(null);
  const [, setVersion] = useState(0); // a language switch re-renders every screen
  const [loaded, setLoaded] = useState({}); // screens fetched on first use: ns -> component
  const main = useRef(null);
  const found = parse(hash);
  const signedIn = Boolean(idToken());

  // Signing in or out re-renders the shell even when the address does not change.
  useEffect(() => {
    const gone = () => setMe(null);
    const came = () => { setFailure(null); setVersion((v) => v + 1); };
    window.addEventListener("console:signed-out", gone);
    window.addEventListener("console:signed-in", came);
    return () => {
      window.removeEventListener("console:signed-out", gone);
      window.removeEventListener("console:signed-in", came);
    };
  }, []);

  // Where to go: the sign-in screen without a session, Today for an unknown address.
  useEffect(() => {
    if (hash !== location.hash) return; // already left (a sign-out): not where to come back to
    if (!found) navigate(signedIn ? "#/today" : "#/sign-in");
    else if (!found.route.open && !signedIn) {
      sessionStorage.setItem("console.next", hash);
      navigate("#/sign-in");
    } else if (found.route.name === "sign-in" && signedIn) {
      const next = sessionStorage.getItem("console.next");
      sessionStorage.removeItem("console.next");
      navigate(next && next !== "#/sign-in" ? next : "#/today");
    }
  }, [hash, signedIn]);

  useEffect(() => {
    if (!signedIn || me || failure) return;
    api("/admin/me").then(setMe, (error) => setFailure(error));
  }, [signedIn, me, failure]);

  const ns = found?.route.ns;
  useEffect(() => {
    if (!ns || loaded[ns] || failure) return;
    Promise.all([found.route.load(), use(ns)])
      .then(([module]) => setLoaded((had) => ({ ...had, [ns]: module.default })))
      .catch(() => setFailure(new ApiError(0, null)));
  }, [ns, failure]);

  const open = Boolean(found?.route.open);
  const waiting = !open && (!me || Boolean(ns && !loaded[ns]));

  // A new screen: its heading takes the focus (so a screen reader announces it) and names the tab. The first
  // screen of a visit keeps the focus at the top (the skip link comes first); a new query on the same screen
  // (filters, paging) leaves it where the person is.
  const screenKey = found ? `${found.route.name}/${found.id || ""}` : "";
  const shown = useRef(null);
  useEffect(() => {
    if (!found || waiting) return;
    const heading = main.current?.querySelector("h1");
    document.title = heading ? `${heading.textContent} – ${t("app.name")}` : t("app.name");
    if (shown.current !== null && shown.current !== screenKey) (heading || main.current)?.focus();
    shown.current = screenKey;
  }, [screenKey, waiting, lang()]);

  const onLang = async (code) => {
    await setLang(code, true);
    setVersion((v) => v + 1);
  };

  if (!found) return null;
  const Screen = found.route.screen || loaded[ns];
  const skip = (e) => { e.preventDefault(); main.current.focus(); };
  return html`<div class="shell">
    <a class="skip" href="#main" onClick=${skip}>${t("skip")}</a>
    ${!open && html`<${Header} me=${me} current=${found.route.name} onLang=${onLang} />`}
    <main id="main" ref=${main} tabindex="-1" class=${open ? "narrow" : ""}>
      ${failure && (!me || waiting) && !open ? html`<${ErrorNote} error=${failure} retry=${() => setFailure(null)} />`
        : waiting ? html`<p class="muted" role="status">${t("loading")}</p>`
        : html`<${Screen} me=${me} id=${found.id} query=${found.query} navigate=${navigate} onLang=${onLang} />`}
    </main>
  </div>`;
}

setLang(guess()).then(() => {
  const root = document.getElementById("app");
  root.textContent = ""; // the static "Loading…" goes: Preact would keep it beside the app
  render(html`<${App} />`, root);
});
