// The reminder policy (#/policy, #/policy?version=N): edit the ladders, contact hours, fees, interest and
// discount; a live preview of every contact a sample invoice would get; save (owners); the versions.
import { html, useEffect, useRef, useState } from "../vendor/htm-preact.js";
import { api } from "../api.js";
import { dateTime, money, minorUnits, t } from "../i18n.js";
import { ErrorNote, Loading, Title, errorText, useApi } from "../ui.js";
import { useScreenStyles } from "./case_form.js";
import { DAYS, fieldName, setIn, toBody, toDraft } from "./policy_draft.js";
import { Err, Ladder, invalid } from "./policy_ladder.js";

const CURRENCIES = ["EUR", "USD", "GBP", "CHF", "JPY", "KWD"];
const ZONE = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
const inDays = (n) => new Date(Date.now() + n * 864e5).toISOString().slice(0, 10);

/** `by` of a version: a person or a key as the API names it (older versions: "broker:<id>"). */
export const author = (by) => (by && typeof by === "object" ? by.name || by.id : by || "");

function Input({ id, path, label, errors, change, value, hint, ...rest }) {
  const name = fieldName(path);
  const described = { ...invalid(id, errors, name) };
  if (hint) described["aria-describedby"] = [`${id}-hint`, described["aria-describedby"]].filter(Boolean).join(" ");
  return html`<div class="field"><label for=${id}>${label}</label>
    ${hint && html`<p class="hint" id=${`${id}-hint`}>${hint}</p>`}
    <input id=${id} data-field=${name} value=${value} onInput=${(e) => change(path, e.target.value)} ...${described}
      ...${rest} />
    <${Err} id=${id} errors=${errors} name=${name} /></div>`;
}

function Choice({ id, path, label, options, errors, change, value }) {
  const name = fieldName(path);
  return html`<div class="field"><label for=${id}>${label}</label>
    <select id=${id} data-field=${name} value=${value} onChange=${(e) => change(path, e.target.value)}
      ...${invalid(id, errors, name)}>${options.map(([v, text]) => html`<option value=${v}>${text}</option>`)}</select>
    <${Err} id=${id} errors=${errors} name=${name} /></div>`;
}

function Contact({ draft, errors, change }) {
  const c = draft.contact;
  const p = { errors, change };
  return html`<fieldset><legend>${t("policy.contact")}</legend><div class="grid2">
    <${Input} id="c-start" path=${["contact", "window_start"]} type="time" label=${t("policy.windowStart")} value=${c.window_start} ...${p} />
    <${Input} id="c-end" path=${["contact", "window_end"]} type="time" label=${t("policy.windowEnd")} value=${c.window_end} ...${p} />
    <${Input} id="c-max" path=${["contact", "max_contacts"]} type="number" label=${t("policy.maxContacts")} value=${c.max_contacts} ...${p} />
    <${Input} id="c-per" path=${["contact", "per_days"]} type="number" label=${t("policy.perDays")} value=${c.per_days} ...${p} />
  </div>
  <fieldset class="bare" data-field="contact.days"><legend>${t("policy.days")}</legend>
    ${DAYS.map((d) => html`<label class="choice"><input type="checkbox" checked=${c.days.includes(d)}
      onChange=${(e) => change(["contact", "days"], e.target.checked ? DAYS.filter((x) => x === d || c.days.includes(x))
        : c.days.filter((x) => x !== d))} />${t(`policy.day.${d}`)}</label>`)}
    <${Err} id="c-days" errors=${errors} name="contact.days" /></fieldset></fieldset>`;
}

function Fees({ draft, errors, change, currency }) {
  const fee = draft.late_fee, i = draft.interest, d = draft.discount;
  const p = { errors, change };
  const kind = fee ? fee.kind : "none";
  const setKind = (path, value) => change(["late_fee"], value === "none" ? null
    : { kind: value, fixed_amount: fee?.fixed_amount || "", rate_bp: fee?.rate_bp || "", cap: fee?.cap || "",
      grace_days: fee?.grace_days || "0" });
  const inCur = t("policy.inCurrency", { currency });
  return html`<fieldset><legend>${t("policy.lateFee")}</legend><div class="grid2">
    <${Choice} id="f-kind" path=${["late_fee", "kind"]} label=${t("policy.feeKind")} value=${kind} errors=${errors}
      change=${setKind} options=${["none", "fixed", "percentage", "greater_of"].map((k) => [k, t(`policy.fee.${k}`)])} />
    ${fee && kind !== "percentage" && html`<${Input} id="f-fixed" path=${["late_fee", "fixed_amount"]} inputmode="decimal"
      label=${t("policy.fixedAmount")} hint=${inCur} value=${fee.fixed_amount} ...${p} />`}
    ${fee && kind !== "fixed" && html`<${Input} id="f-rate" path=${["late_fee", "rate_bp"]} inputmode="decimal"
      label=${t("policy.ratePercent")} value=${fee.rate_bp} ...${p} />`}
    ${fee && html`<${Input} id="f-cap" path=${["late_fee", "cap"]} inputmode="decimal" label=${t("policy.cap")}
      hint=${inCur} value=${fee.cap} ...${p} />
      <${Input} id="f-grace" path=${["late_fee", "grace_days"]} type="number" label=${t("policy.graceDays")}
        value=${fee.grace_days} ...${p} />`}
  </div></fieldset>
  <fieldset><legend>${t("policy.interest")}</legend><div class="grid2">
    <${Choice} id="i-regime" path=${["interest", "regime"]} label=${t("policy.regime")} value=${i.regime} ...${p}
      options=${["none", "contractual", "eu", "uk"].map((k) => [k, t(`policy.regime.${k}`)])} />
    ${i.regime === "eu" && html`<${Input} id="i-country" path=${["interest", "country"]} label=${t("policy.country")}
      value=${i.country} maxlength="2" ...${p} />`}
    ${i.regime === "contractual" && html`<${Input} id="i-rate" path=${["interest", "rate_bp"]} inputmode="decimal"
      label=${t("policy.ratePercentYear")} value=${i.rate_bp} ...${p} />`}
  </div></fieldset>
  <fieldset><legend>${t("policy.discount")}</legend>
    <label class="choice"><input type="checkbox" checked=${Boolean(d)}
      onChange=${(e) => change(["discount"], e.target.checked ? { rate_bp: "2", days: "10" } : null)} />${t("policy.offerDiscount")}</label>
    ${d && html`<div class="grid2">
      <${Input} id="d-rate" path=${["discount", "rate_bp"]} inputmode="decimal" label=${t("policy.ratePercent")} value=${d.rate_bp} ...${p} />
      <${Input} id="d-days" path=${["discount", "days"]} type="number" label=${t("policy.discountDays")} value=${d.days} ...${p} />
    </div>`}
    <${Err} id="d" errors=${errors} name="discount" /></fieldset>`;
}

function Tiers({ draft, errors, change }) {
  return html`<section aria-labelledby="tiers-h"><h2 id="tiers-h">${t("policy.tiers")}</h2>
    <p class="hint">${t("policy.tiersHint")}</p>
    ${draft.tiers.map((tier, i) => html`<fieldset key=${i}><legend>${t("policy.tierN", { name: tier.tier || "…" })}</legend>
      <${Input} id=${`tier-${i}`} path=${["tiers", i, "tier"]} label=${t("policy.tierName")} value=${tier.tier}
        errors=${errors} change=${change} />
      <${Ladder} steps=${tier.ladder} path=${["tiers", i, "ladder"]} errors=${errors} change=${change}
        caption=${t("policy.tierN", { name: tier.tier })} prefix=${`${t("policy.tierN", { name: tier.tier })}, `} />
      <button type="button" class="danger" onClick=${() => change(["tiers"], draft.tiers.filter((_, j) => j !== i))}
        >${t("policy.removeTier", { name: tier.tier })}</button></fieldset>`)}
    <${Err} id="tiers" errors=${errors} name="tiers" />
    <button type="button" onClick=${() => change(["tiers"], [...draft.tiers, { tier: "", ladder: draft.ladder }])}
      >${t("policy.addTier")}</button></section>`;
}

function contactText(c) {
  const channels = c.channels.length ? c.channels.map((ch) => t(`policy.ch.${ch}`)).join(" + ") : t("policy.brokerOnly");
  return [t("policy.stepLabel", { step: c.step }), t(`policy.stg.${c.stage}`), channels,
    c.fee ? `${t("policy.fee")} ${money(c.fee)}` : ""].filter(Boolean).join(" · ");
}

/** Every contact the sample invoice would get under the draft, from the API's own ladder code. */
function Preview({ draft, currency, sample, setSample, tiers, onErrors }) {
  const [answer, setAnswer] = useState(null);
  const [failure, setFailure] = useState(null);
  const seq = useRef(0);
  const body = JSON.stringify([toBody(draft, currency), sample]);
  useEffect(() => {
    const mine = ++seq.current;
    const timer = setTimeout(async () => {
      const amount = minorUnits(sample.amount, sample.currency);
      const invoice = { amount: amount === null ? sample.amount : amount, currency: sample.currency,
        due_date: sample.due_date, timezone: sample.timezone, tier: sample.tier || undefined };
      try {
        const got = await api("/admin/policy/preview", { method: "POST",
          body: { policy: toBody(draft, currency), invoice } });
        if (mine !== seq.current) return;
        setAnswer(got);
        setFailure(null);
        onErrors({});
      } catch (error) {
        if (mine !== seq.current) return;
        setFailure(error);
        onErrors(error.field && !error.field.startsWith("invoice") ? { [error.field]: errorText(error) } : {});
      }
    }, 350);
    return () => clearTimeout(timer);
  }, [body]);
  const set = (key) => (e) => setSample({ ...sample, [key]: e.target.value });
  const invoiceError = failure?.field?.startsWith("invoice") ? failure : null;
  return html`<section aria-labelledby="prev-h" class="preview"><h2 id="prev-h">${t("policy.preview")}</h2>
    <div class="grid2">
      <div class="field"><label for="s-amount">${t("policy.sampleAmount")}</label>
        <input id="s-amount" inputmode="decimal" value=${sample.amount} onInput=${set("amount")} /></div>
      <div class="field"><label for="s-cur">${t("policy.sampleCurrency")}</label>
        <select id="s-cur" value=${sample.currency} onChange=${set("currency")}>
          ${CURRENCIES.map((c) => html`<option value=${c}>${c}</option>`)}</select></div>
      <div class="field"><label for="s-due">${t("policy.sampleDue")}</label>
        <input id="s-due" type="date" value=${sample.due_date} onInput=${set("due_date")} /></div>
      <div class="field"><label for="s-tz">${t("policy.sampleZone")}</label>
        <input id="s-tz" value=${sample.timezone} onInput=${set("timezone")} autocomplete="off" /></div>
      <div class="field"><label for="s-tier">${t("policy.sampleTier")}</label>
        <select id="s-tier" value=${sample.tier} onChange=${set("tier")}>
          <option value="">${t("policy.noTier")}</option>
          ${tiers.filter(Boolean).map((name) => html`<option value=${name}>${name}</option>`)}</select></div>
    </div>
    <div aria-live="polite">
      ${invoiceError ? html`<p class="alert">${invoiceError.field}: ${errorText(invoiceError)}</p>`
        : failure ? html`<p class="alert">${t("policy.previewBlocked")}</p>`
        : !answer ? html`<${Loading} />`
        : !answer.contacts.length ? html`<p>${t("policy.noContacts")}</p>`
        : html`<ol id="preview-list">${answer.contacts.map((c) => html`<li>
            <strong>${c.local_time.slice(0, 16).replace("T", " ")}</strong>${` · ${contactText(c)}`}</li>`)}</ol>`}
    </div></section>`;
}

function Versions({ tick, current }) {
  const { data, error, loading, reload } = useApi("/admin/policy/versions");
  useEffect(() => { if (tick) reload(); }, [tick]);
  return html`<section aria-labelledby="ver-h"><h2 id="ver-h">${t("policy.versions")}</h2>
    ${loading && !data ? html`<${Loading} />` : error ? html`<${ErrorNote} error=${error} retry=${reload} />`
      : !data.items.length ? html`<p class="muted">${t("policy.noVersions")}</p>`
      : html`<table id="versions"><thead><tr><th scope="col">${t("policy.version")}</th><th scope="col">${t("policy.when")}</th>
          <th scope="col">${t("policy.who")}</th><th scope="col">${t("policy.changed")}</th></tr></thead>
        <tbody>${data.items.map((v) => html`<tr key=${v.version}>
          <td><a href=${`#/policy?version=${v.version}`} aria-current=${v.version === current ? "true" : undefined}
            >${t("policy.versionN", { n: v.version })}</a></td>
          <td>${dateTime(v.updated_at)}</td><td>${author(v.updated_by)}</td>
          <td>${(v.changed || []).map((k) => t(`policy.key.${k}`)).join(", ")}</td></tr>`)}</tbody></table>`}
  </section>`;
}

export default function Policy({ me, query = {}, navigate }) {
  useScreenStyles();
  const version = query.version;
  const loaded = useApi("/admin/policy", version ? { version } : undefined);
  const [draft, setDraft] = useState(null);
  const [errors, setErrors] = useState({});
  const [sample, setSample] = useState({ amount: "1000", currency: "EUR", due_date: inDays(7), timezone: ZONE, tier: "" });
  const [saved, setSaved] = useState(null);
  const [failure, setFailure] = useState(null);
  const [busy, setBusy] = useState(false);
  const [tick, setTick] = useState(0);
  const form = useRef(null);
  useEffect(() => { if (loaded.data) setDraft(toDraft(loaded.data.policy, sample.currency)); }, [loaded.data]);
  const change = (path, value) => setDraft((d) => setIn(d, path, value));
  const own = Boolean(me?.permissions?.own);

  // No <form>: Enter in the sample invoice's fields must never save the policy.
  const save = async () => {
    setBusy(true);
    setFailure(null);
    setSaved(null);
    try {
      const answer = await api("/admin/policy", { method: "PUT", body: toBody(draft, sample.currency) });
      setErrors({});
      setSaved(answer);
      setTick((n) => n + 1);
      // The heading's "version N, saved by" now names this one (saved from an old one: back to the current).
      if (version) navigate("#/policy");
      else loaded.reload();
    } catch (error) {
      const target = error.field && form.current.querySelector(`[data-field="${CSS.escape(error.field)}"]`);
      if (target) {
        setErrors({ [error.field]: errorText(error) });
        setTimeout(() => (target.matches("fieldset") ? target.querySelector("input") : target)?.focus(), 0);
      }
      setFailure(error);
    } finally {
      setBusy(false);
    }
  };

  const head = html`<${Title}>${t("policy.title")}</${Title}>`;
  if (!draft) {
    return html`<div class="policy">${head}${loaded.error ? html`<${ErrorNote} error=${loaded.error} retry=${loaded.reload} />`
      : html`<${Loading} />`}</div>`;
  }
  const info = loaded.data;
  return html`<div class="policy">${head}
    <p id="policy-version">${info.is_default ? t("policy.isDefault") : t("policy.versionInfo", { n: info.version,
      when: dateTime(info.updated_at), who: author(info.updated_by) })}</p>
    ${version && html`<p class="note">${t("policy.viewingOld", { n: version })} <a href="#/policy">${t("policy.backToCurrent")}</a></p>`}
    <div ref=${form}>
      <h2 id="ladder-h">${t("policy.ladder")}</h2>
      <p class="hint">${t("policy.ladderHint")}</p>
      <${Ladder} steps=${draft.ladder} path=${["ladder"]} errors=${errors} change=${change} caption=${t("policy.ladder")} />
      <${Preview} draft=${draft} currency=${sample.currency} sample=${sample} setSample=${setSample}
        tiers=${draft.tiers.map((x) => x.tier)} onErrors=${setErrors} />
      <${Tiers} draft=${draft} errors=${errors} change=${change} />
      <h2>${t("policy.rules")}</h2>
      <${Contact} draft=${draft} errors=${errors} change=${change} />
      <${Fees} draft=${draft} errors=${errors} change=${change} currency=${sample.currency} />
      <p class="alert" role="alert">${failure ? (failure.field ? `${failure.field}: ${errorText(failure)}` : errorText(failure)) : ""}</p>
      ${saved && html`<p class="ok" role="status">${t("policy.saved", { n: saved.version })}</p>`}
      ${own && html`<div class="buttons"><button type="button" class="primary" onClick=${save} disabled=${busy}
        >${version ? t("policy.saveOld", { n: version }) : t("policy.save")}</button></div>`}
    </div>
    <${Versions} tick=${tick} current=${info.version} />
  </div>`;
}
