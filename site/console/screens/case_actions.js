// The Case screen's actions, each a dialog that posts one admin route: note, offline payment, pause and
// resume, a new pay link, a custom plan offer, escalation to a partner and (owners) write-off.
import { html, useState } from "../vendor/htm-preact.js";
import { api } from "../api.js";
import { exponent } from "../currencies.js";
import { minorUnits, t } from "../i18n.js";
import { ErrorNote, useApi } from "../ui.js";
import { Buttons, Dialog, Field, FormAlert, useForm } from "./case_form.js";

const path = (kase, tail) => `/admin/cases/${encodeURIComponent(kase.case_id)}/${tail}`;
const today = () => new Date().toLocaleDateString("sv-SE"); // YYYY-MM-DD in the reader's own day
const localIso = (value) => (value ? new Date(value).toISOString() : undefined); // datetime-local -> UTC ISO

/** A typed amount in the case's currency as minor units; what it cannot read goes on as text so the API's
 * own message for the field answers (never a silent 0). */
export function amountOf(text, currency) {
  if (text === "" || text == null) return undefined;
  const minor = minorUnits(text, currency);
  return minor === null ? String(text) : minor;
}

export function amountHint(currency) {
  return t("case.amountHint", { currency, digits: exponent(currency) });
}

function NoteForm({ kase, close, done }) {
  const f = useForm({ kind: "note", text: "" });
  const send = (e) => {
    e.preventDefault();
    f.submit(async (v) => { await api(path(kase, "notes"), { method: "POST", body: v }); close(); done(t("case.noted")); });
  };
  return html`<form ref=${f.form} onSubmit=${send} novalidate>
    <${Field} id="note-kind" field="kind" as="select" label=${t("case.f.kind")} value=${f.values.kind}
      onChange=${f.set("kind")} error=${f.errors.kind}>
      ${["note", "call", "email", "meeting"].map((k) => html`<option value=${k}>${t(`case.kind.${k}`)}</option>`)}
    </${Field}>
    <${Field} id="note-text" field="text" as="textarea" label=${t("case.f.text")} value=${f.values.text}
      onInput=${f.set("text")} error=${f.errors.text} rows="4" />
    <${FormAlert} failure=${f.failure} /><${Buttons} busy=${f.busy} label=${t("case.save")} onClose=${close} />
  </form>`;
}

/** Money received outside Stripe; `report` (an "I already paid" claim) fills in what the customer said. */
export function PaymentForm({ kase, close, done, report }) {
  const cur = kase.balance.currency;
  const f = useForm({ amount: "", method: report?.method || "bank_transfer", reference: report?.reference || "",
    received_on: report?.paid_on || today() });
  const send = (e) => {
    e.preventDefault();
    f.submit(async (v) => {
      await api(path(kase, "payments"), { method: "POST", body: { ...v, amount: amountOf(v.amount, cur) } });
      close();
      done(t("case.paymentRecorded"));
    });
  };
  return html`<form ref=${f.form} onSubmit=${send} novalidate>
    <${Field} id="pay-amount" field="amount" label=${t("case.f.amount")} hint=${amountHint(cur)} inputmode="decimal"
      value=${f.values.amount} onInput=${f.set("amount")} error=${f.errors.amount} autocomplete="off" />
    <${Field} id="pay-method" field="method" as="select" label=${t("case.f.method")} value=${f.values.method}
      onChange=${f.set("method")} error=${f.errors.method}>
      ${["bank_transfer", "cheque", "cash", "other"].map((m) => html`<option value=${m}>${t(`case.method.${m}`)}</option>`)}
    </${Field}>
    <${Field} id="pay-ref" field="reference" label=${t("case.f.reference")} value=${f.values.reference}
      onInput=${f.set("reference")} error=${f.errors.reference} autocomplete="off" />
    <${Field} id="pay-on" field="received_on" type="date" label=${t("case.f.received_on")} value=${f.values.received_on}
      onInput=${f.set("received_on")} error=${f.errors.received_on} />
    <${FormAlert} failure=${f.failure} /><${Buttons} busy=${f.busy} label=${t("case.record")} onClose=${close} />
  </form>`;
}

function PauseForm({ kase, close, done }) {
  const f = useForm({ until: "", reason: "" });
  const send = (e) => {
    e.preventDefault();
    f.submit(async (v) => {
      const body = { until: localIso(v.until), reason: v.reason || undefined };
      await api(path(kase, "pause"), { method: "POST", body });
      close();
      done(t("case.pausedDone"));
    });
  };
  return html`<form ref=${f.form} onSubmit=${send} novalidate>
    <${Field} id="pause-until" field="until" type="datetime-local" label=${t("case.f.until")} hint=${t("case.untilHint")}
      value=${f.values.until} onInput=${f.set("until")} error=${f.errors.until} />
    <${Field} id="pause-reason" field="reason" label=${t("case.f.reason")} value=${f.values.reason}
      onInput=${f.set("reason")} error=${f.errors.reason} />
    <${FormAlert} failure=${f.failure} /><${Buttons} busy=${f.busy} label=${t("case.pause")} onClose=${close} />
  </form>`;
}

function LinkForm({ kase, close, done }) {
  const f = useForm({});
  const [made, setMade] = useState(null);
  const [copied, setCopied] = useState(false);
  const send = (e) => {
    e.preventDefault();
    f.submit(async () => {
      setMade(await api(path(kase, "links"), { method: "POST", body: {} }));
    });
  };
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(made.pay_url);
      setCopied(true);
    } catch {
      document.getElementById("link-url").select(); // no clipboard permission: selected for Ctrl+C
    }
  };
  if (made) {
    return html`<div>
      <p>${t("case.linkMade")}</p>
      <${Field} id="link-url" label=${t("case.payUrl")} value=${made.pay_url} readonly />
      <p role="status">${copied ? t("case.copied") : ""}</p>
      <div class="buttons"><button type="button" class="primary" onClick=${copy}>${t("case.copy")}</button>
        <button type="button" class="quiet" onClick=${() => { close(); done(t("case.linkMade")); }}>${t("case.close")}</button></div>
    </div>`;
  }
  return html`<form ref=${f.form} onSubmit=${send} novalidate>
    <p>${t("case.linkWarning")}</p>
    <${FormAlert} failure=${f.failure} /><${Buttons} busy=${f.busy} label=${t("case.newLink")} onClose=${close} />
  </form>`;
}

function PlanForm({ kase, close, done }) {
  const cur = kase.balance.currency;
  const f = useForm({ installments: "3", interval: "monthly", first_amount: "" });
  const send = (e) => {
    e.preventDefault();
    f.submit(async (v) => {
      const n = Number(v.installments);
      const body = { installments: Number.isInteger(n) && v.installments !== "" ? n : v.installments,
        interval: v.interval, first_amount: amountOf(v.first_amount, cur) };
      await api(path(kase, "plan-offers"), { method: "POST", body });
      close();
      done(t("case.planOffered"));
    });
  };
  return html`<form ref=${f.form} onSubmit=${send} novalidate>
    <${Field} id="plan-n" field="installments" type="number" min="2" max="24" label=${t("case.f.installments")}
      value=${f.values.installments} onInput=${f.set("installments")} error=${f.errors.installments} />
    <${Field} id="plan-interval" field="interval" as="select" label=${t("case.f.interval")} value=${f.values.interval}
      onChange=${f.set("interval")} error=${f.errors.interval}>
      ${["weekly", "biweekly", "monthly"].map((i) => html`<option value=${i}>${t(`case.interval.${i}`)}</option>`)}
    </${Field}>
    <${Field} id="plan-first" field="first_amount" label=${t("case.f.first_amount")} hint=${amountHint(cur)}
      inputmode="decimal" value=${f.values.first_amount} onInput=${f.set("first_amount")} error=${f.errors.first_amount} />
    <${FormAlert} failure=${f.failure} /><${Buttons} busy=${f.busy} label=${t("case.offer")} onClose=${close} />
  </form>`;
}

function EscalateForm({ kase, close, done }) {
  const partners = useApi("/admin/partners");
  const f = useForm({ partner_id: "", note: "" });
  const send = (e) => {
    e.preventDefault();
    f.submit(async (v) => {
      await api(path(kase, "escalate"), { method: "POST", body: { partner_id: v.partner_id, note: v.note || undefined } });
      close();
      done(t("case.escalated"));
    });
  };
  const items = (partners.data?.items || []).filter((p) => p.active !== false && p.kind !== "mediator");
  return html`<form ref=${f.form} onSubmit=${send} novalidate>
    <${ErrorNote} error=${partners.error} />
    <${Field} id="esc-partner" field="partner_id" as="select" label=${t("case.f.partner")} value=${f.values.partner_id}
      onChange=${f.set("partner_id")} error=${f.errors.partner_id}>
      <option value="">${t("case.choose")}</option>
      ${items.map((p) => html`<option value=${p.partner_id}>${p.name}</option>`)}
    </${Field}>
    <${Field} id="esc-note" field="note" as="textarea" rows="3" label=${t("case.f.note")} value=${f.values.note}
      onInput=${f.set("note")} error=${f.errors.note} />
    <${FormAlert} failure=${f.failure} /><${Buttons} busy=${f.busy} label=${t("case.escalate")} onClose=${close} />
  </form>`;
}

function WriteOffForm({ kase, close, done }) {
  const cur = kase.balance.currency;
  const f = useForm({ amount: "", reason: "" });
  const send = (e) => {
    e.preventDefault();
    f.submit(async (v) => {
      await api(path(kase, "write-off"), { method: "POST", body: { amount: amountOf(v.amount, cur), reason: v.reason } });
      close();
      done(t("case.writtenOff"));
    });
  };
  return html`<form ref=${f.form} onSubmit=${send} novalidate>
    <${Field} id="wo-amount" field="amount" label=${t("case.f.amount")} hint=${t("case.writeOffHint")}
      inputmode="decimal" value=${f.values.amount} onInput=${f.set("amount")} error=${f.errors.amount} />
    <${Field} id="wo-reason" field="reason" as="textarea" rows="3" label=${t("case.f.reason")} value=${f.values.reason}
      onInput=${f.set("reason")} error=${f.errors.reason} />
    <${FormAlert} failure=${f.failure} /><${Buttons} busy=${f.busy} label=${t("case.writeOff")} onClose=${close} />
  </form>`;
}

async function resume(kase, done, setFailure) {
  try {
    await api(path(kase, "resume"), { method: "POST", body: {} });
    done(t("case.resumed"));
  } catch (error) {
    setFailure(error);
  }
}

const FORMS = { note: NoteForm, payment: PaymentForm, pause: PauseForm, link: LinkForm, plan: PlanForm,
  escalate: EscalateForm, writeOff: WriteOffForm };

export function Actions({ kase, can, done }) {
  const [open, setOpen] = useState(null);
  const [failure, setFailure] = useState(null);
  const closed = ["paid", "written_off"].includes(kase.status);
  const paused = Boolean(kase.reminders?.paused);
  const shown = [["note", true], ["payment", !closed], ["pause", !closed && !paused], ["link", !closed],
    ["plan", !closed], ["escalate", !closed && kase.status !== "escalated"], ["writeOff", !closed && can.own]];
  const Form = open && FORMS[open];
  return html`<section aria-labelledby="act-h" class="actions"><h2 id="act-h" class="sr-only">${t("case.actions")}</h2>
    <div class="buttons">
      ${shown.filter(([, on]) => on).map(([name]) => html`<button type="button" key=${name}
        class=${name === "writeOff" ? "danger" : ""} onClick=${() => setOpen(name)}>${t(`case.do.${name}`)}</button>`)}
      ${!closed && paused && html`<button type="button" onClick=${() => resume(kase, done, setFailure)}
        >${t("case.do.resume")}</button>`}
    </div>
    <${ErrorNote} error=${failure} />
    ${Form && html`<${Dialog} title=${t(`case.do.${open}`)} onClose=${() => setOpen(null)}>
      <${Form} kase=${kase} close=${() => setOpen(null)} done=${done} /></${Dialog}>`}
  </section>`;
}
