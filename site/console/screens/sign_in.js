// Sign-in: password, then a TOTP code or a first new password when Cognito asks; a forgotten password
// by emailed code. Why the screen shows (signed out, session expired) is said once, at the top.
import { html, useEffect, useRef, useState } from "../vendor/htm-preact.js";
import { NOTICE } from "../api.js";
import { answerChallenge, forgotPassword, resetPassword, signIn } from "../auth.js";
import { LANGS, chosen, t } from "../i18n.js";
import { errorText } from "../ui.js";

const TITLES = { password: "signIn.title", SOFTWARE_TOKEN_MFA: "signIn.mfaTitle",
  NEW_PASSWORD_REQUIRED: "signIn.newTitle", forgot: "signIn.forgotTitle", reset: "signIn.resetTitle" };

function Field({ id, label, type = "text", value, onInput, error, hint, ...rest }) {
  const described = [hint && `${id}-hint`, error && `${id}-err`].filter(Boolean).join(" ") || undefined;
  return html`<div class="field">
    <label for=${id}>${label}</label>
    ${hint && html`<p class="hint" id=${`${id}-hint`}>${hint}</p>`}
    <input id=${id} name=${id} type=${type} value=${value} onInput=${(e) => onInput(e.target.value)}
      aria-invalid=${error ? "true" : undefined} aria-describedby=${described} required ...${rest} />
    ${error && html`<p class="err" id=${`${id}-err`}>${error}</p>`}
  </div>`;
}

function Notice() {
  const [reason] = useState(() => {
    const r = sessionStorage.getItem(NOTICE);
    sessionStorage.removeItem(NOTICE);
    return r;
  });
  if (!reason) return null;
  return html`<p class="note" role="status" id="notice">${t(`signIn.notice.${reason}`)}</p>`;
}

export default function SignIn({ onLang }) {
  const [step, setStep] = useState("password");
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [code, setCode] = useState("");
  const [fresh, setFresh] = useState("");
  const [challenge, setChallenge] = useState(null);
  const [error, setError] = useState(null); // {text, field}
  const [done, setDone] = useState(null);
  const [busy, setBusy] = useState(false);
  const heading = useRef(null);
  const alert = useRef(null);

  useEffect(() => { if (step !== "password") heading.current?.focus(); }, [step]);
  useEffect(() => {
    if (!error) return;
    const field = error.field && document.getElementById(error.field);
    (field || alert.current)?.focus();
  }, [error]);

  const go = (next) => { setError(null); setCode(""); setStep(next); };

  const finish = (answer) => {
    if (answer.tokens) return; // the shell takes the person on (where they were going, else Today)
    setChallenge(answer);
    go(answer.challenge);
  };

  const fail = (err, field) => {
    if (err.code === "bad_credentials") {
      setPassword("");
      setError({ text: t("signIn.bad"), field: "password" });
    } else if (err.code === "bad_code" || err.field === "code") {
      setCode("");
      setError({ text: t("signIn.badCode"), field: "code" });
    } else if (err.field === "new_password") {
      setError({ text: t("signIn.weak"), field: "new_password" });
    } else setError({ text: errorText(err), field });
  };

  const submit = (action) => async (e) => {
    e.preventDefault();
    setError(null);
    setBusy(true);
    try {
      await action();
    } catch (err) {
      fail(err);
    } finally {
      setBusy(false);
    }
  };

  const forms = {
    password: submit(async () => finish(await signIn(email.trim(), password))),
    SOFTWARE_TOKEN_MFA: submit(async () => finish(await answerChallenge({ email: email.trim(),
      session: challenge.session, challenge: challenge.challenge, code: code.trim() }))),
    NEW_PASSWORD_REQUIRED: submit(async () => finish(await answerChallenge({ email: email.trim(),
      session: challenge.session, challenge: challenge.challenge, new_password: fresh }))),
    forgot: submit(async () => {
      await forgotPassword(email.trim());
      setDone(t("signIn.codeSent"));
      go("reset");
    }),
    reset: submit(async () => {
      await resetPassword(email.trim(), code.trim(), fresh);
      setPassword("");
      setDone(t("signIn.resetDone"));
      go("password");
    }),
  };

  const err = (field) => (error && error.field === field ? error.text : null);
  const emailField = html`<${Field} id="email" label=${t("signIn.email")} type="email" value=${email}
    onInput=${setEmail} autocomplete="username" error=${err("email")} />`;
  const newPassword = html`<${Field} id="new_password" label=${t("signIn.newPassword")} type="password"
    value=${fresh} onInput=${setFresh} autocomplete="new-password" hint=${t("signIn.passwordRule")}
    error=${err("new_password")} minlength="12" />`;
  const codeField = (label) => html`<${Field} id="code" label=${label} value=${code} onInput=${setCode}
    inputmode="numeric" autocomplete="one-time-code" error=${err("code")} />`;

  return html`<div class="sign-in">
    <div class="lang-row">
      <label for="lang">${t("language")}</label>
      <select id="lang" value=${chosen()} onChange=${(e) => onLang(e.target.value)}>
        ${Object.entries(LANGS).map(([c, name]) => html`<option value=${c} lang=${c}>${name}</option>`)}
      </select>
    </div>
    <p class="brand">${t("app.name")}</p>
    <h1 tabindex="-1" ref=${heading}>${t(TITLES[step])}</h1>
    <${Notice} />
    ${done && html`<p class="ok" role="status">${done}</p>`}
    <div ref=${alert} tabindex="-1" role="alert" class="alert">${error && !error.field ? error.text : ""}</div>
    <form onSubmit=${forms[step]} novalidate aria-busy=${busy ? "true" : undefined}>
      ${step === "password" && html`
        ${emailField}
        <${Field} id="password" label=${t("signIn.password")} type="password" value=${password}
          onInput=${setPassword} autocomplete="current-password" error=${err("password")} />
        <button class="primary" type="submit" disabled=${busy}>${t("signIn.submit")}</button>
        <p><button type="button" class="link" onClick=${() => { setDone(null); go("forgot"); }}>
          ${t("signIn.forgot")}</button></p>`}
      ${step === "SOFTWARE_TOKEN_MFA" && html`
        <p>${t("signIn.mfaText")}</p>
        ${codeField(t("signIn.code"))}
        <button class="primary" type="submit" disabled=${busy}>${t("signIn.verify")}</button>`}
      ${step === "NEW_PASSWORD_REQUIRED" && html`
        <p>${t("signIn.newText")}</p>
        ${newPassword}
        <button class="primary" type="submit" disabled=${busy}>${t("signIn.setPassword")}</button>`}
      ${step === "forgot" && html`
        <p>${t("signIn.forgotText")}</p>
        ${emailField}
        <button class="primary" type="submit" disabled=${busy}>${t("signIn.sendCode")}</button>`}
      ${step === "reset" && html`
        ${emailField}
        ${codeField(t("signIn.emailCode"))}
        ${newPassword}
        <button class="primary" type="submit" disabled=${busy}>${t("signIn.setPassword")}</button>`}
      ${step !== "password" && html`<p><button type="button" class="link" onClick=${() => go("password")}>
        ${t("signIn.back")}</button></p>`}
    </form>
  </div>`;
}
