// Your account: who you are signed in as, and two-step sign-in (an authenticator app's code after the
// password), which any member turns on and off for themself. Loaded when first opened, like the case and policy
// screens. The MFA calls take the session's access token (Cognito's credential for the person's own user), not
// the ID token the admin API reads.
import { html, useEffect, useRef, useState } from "../vendor/htm-preact.js";
import { endSession, request } from "../api.js";
import { refresh, session } from "../auth.js";
import { t } from "../i18n.js";
import { Confirm, ErrorNote, Field, Loading, Title, useAction, useApi } from "../ui.js";

/** `call(accessToken)`, called again with a renewed token once when Cognito says it has expired. */
async function withAccess(send) {
  const call = () => send(session()?.tokens?.access_token);
  try {
    return await call();
  } catch (error) {
    if (error.status !== 401) throw error;
    if (!(await refresh())) {
      endSession("expired");
      throw error;
    }
    return call();
  }
}

const post = (path, body = {}) => withAccess((token) => request(path, { method: "POST",
  body: { ...body, access_token: token } }));
const turnOff = () => withAccess((token) => request("/console/mfa", { method: "DELETE", token }));

/** "JBSWY3DPEHPK3PXP" -> "JBSW Y3DP EHPK 3PXP": easier to read out and type into an app. */
const grouped = (secret) => secret.match(/.{1,4}/g).join(" ");

function Setup({ setup, onDone, onCancel }) {
  const [code, setCode] = useState("");
  const verify = useAction();
  const heading = useRef(null);
  useEffect(() => heading.current?.focus(), []);
  useEffect(() => { // a refused code: the field is emptied for the app's next one and takes the focus
    if (verify.error?.field !== "code") return;
    setCode("");
    document.getElementById("mfa-code")?.focus();
  }, [verify.error]);
  const submit = async (e) => {
    e.preventDefault();
    const digits = code.replace(/\s/g, "");
    if ((await verify.run(() => post("/console/mfa/verify", { code: digits }))) !== undefined) onDone();
  };
  // The API says "invalid" for a code that is not 6 digits and for one the app did not make: one sentence for both.
  const error = verify.error?.field === "code" ? { ...verify.error, code: "bad_code", message: t("signIn.badCode") }
    : verify.error;
  return html`<div class="secret">
    <h3 id="mfa-setup" tabindex="-1" ref=${heading}>${t("account.setupTitle")}</h3>
    <ol>
      <li><p>${t("account.stepApp")}</p>
        <p><a href=${setup.otpauth_uri} id="mfa-link">${t("account.openApp")}</a></p>
        <p>${t("account.stepKey")}</p>
        <p><code id="mfa-secret">${grouped(setup.secret)}</code></p></li>
      <li><form onSubmit=${submit} novalidate>
        <p>${t("account.stepCode")}</p>
        <${Field} id="mfa-code" name="code" label=${t("signIn.code")} value=${code}
          onInput=${(e) => setCode(e.target.value)} inputmode="numeric" autocomplete="one-time-code"
          maxlength="7" required error=${error} />
        <${ErrorNote} error=${error?.field === "code" ? null : error} />
        <button type="submit" class="primary" disabled=${verify.busy}>${t("account.turnOn")}</button>
        <button type="button" class="quiet" onClick=${onCancel}>${t("cancel")}</button>
      </form></li>
    </ol>
  </div>`;
}

function TwoStep({ on: was, reload }) {
  const [setup, setSetup] = useState(null);
  // On or off from the moment the API said so, not only once /admin/me is read again.
  const [on, setOn] = useState(was);
  useEffect(() => setOn(was), [was]);
  const [done, setDone] = useState(null); // what the person just did: "account.turnedOn" or "account.turnedOff"
  const start = useAction();
  const stop = useAction();
  const said = useRef(null);
  const begin = useRef(null);
  useEffect(() => { if (done) said.current?.focus(); }, [done]);
  const open = async () => {
    setDone(null);
    const answer = await start.run(() => post("/console/mfa/setup"));
    if (answer) setSetup(answer);
  };
  const off = async () => {
    if ((await stop.run(turnOff)) === undefined) return;
    setOn(false);
    setDone("account.turnedOff");
    reload();
  };
  const cancel = () => {
    setSetup(null);
    requestAnimationFrame(() => begin.current?.focus());
  };
  const finished = () => {
    setSetup(null);
    setOn(true);
    setDone("account.turnedOn");
    reload();
  };
  return html`<section aria-labelledby="s-mfa">
    <h2 id="s-mfa">${t("account.mfa")}</h2>
    <p id="mfa-state"><strong>${t(on ? "account.on" : "account.off")}</strong>${" "}
      ${t(on ? "account.onText" : "account.offText")}</p>
    ${done && html`<p class="ok" role="status" tabindex="-1" ref=${said}>${t(done)}</p>`}
    ${on && html`<${Confirm} label=${t("account.turnOff")} confirm=${t("account.turnOffConfirm")} onConfirm=${off}
      busy=${stop.busy} /><${ErrorNote} error=${stop.error} />`}
    ${!on && !setup && html`<p class="muted">${t("account.why")}</p>
      <button type="button" class="primary" ref=${begin} onClick=${open} disabled=${start.busy}>
        ${t("account.start")}</button>
      <${ErrorNote} error=${start.error} />`}
    ${!on && setup && html`<${Setup} setup=${setup} onDone=${finished} onCancel=${cancel} />`}
  </section>`;
}

export default function Account({ me }) {
  // The shell's copy of /admin/me was read at sign-in; this one shows two-step sign-in as it is now.
  const { data, error, loading, reload } = useApi("/admin/me");
  const { user } = me;
  return html`<${Title}>${t("account.title")}<//>
    <dl class="facts">
      <dt>${t("set.name")}</dt><dd>${user.name || "–"}</dd>
      <dt>${t("set.email")}</dt><dd>${user.email || "–"}</dd>
      <dt>${t("set.role")}</dt><dd>${t(`role.${user.role}`)}</dd>
    </dl>
    <${ErrorNote} error=${error} retry=${reload} />
    ${loading && !data && html`<${Loading} />`}
    ${data?.user.kind === "user" && html`<${TwoStep} on=${Boolean(data.user.mfa)} reload=${reload} />`}`;
}
