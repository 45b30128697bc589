// What the customer asked for on the pay page and a person must answer: disputes (with their evidence shown
// in place) and "I already paid" claims to reconcile against the bank.
import { html, useState } from "../vendor/htm-preact.js";
import { api } from "../api.js";
import { date, dateTime, money, t } from "../i18n.js";
import { amountHint, amountOf, PaymentForm } from "./case_actions.js";
import { Buttons, Dialog, Field, FormAlert, useForm } from "./case_form.js";

const OPEN = ["open", "mediation", "mediation_ended"];

/** A file the customer sent: a PDF in a frame, an image as itself (both from the evidence bucket's origin). */
function Evidence({ file }) {
  const url = file.view_url || file.download_url;
  const kb = Math.max(1, Math.round(file.size / 1024));
  return html`<figure class="evidence">
    ${file.content_type === "application/pdf"
      ? html`<iframe src=${url} title=${t("case.evidenceOf", { name: file.filename })} class="pdf"></iframe>`
      : url && html`<img src=${url} alt=${t("case.evidenceOf", { name: file.filename })} />`}
    <figcaption>${file.filename} (${kb} KB)
      ${file.download_url && html` · <a href=${file.download_url} rel="noreferrer">${t("case.download")}</a>`}</figcaption>
  </figure>`;
}

function ResolveForm({ kase, dispute, done }) {
  const cur = kase.balance.currency;
  const f = useForm({ outcome: "partially_upheld", credit_amount: "", message: "", mediator: "", until: "" });
  const o = f.values.outcome;
  const base = `res-${dispute.dispute_id}`;
  const send = (e) => {
    e.preventDefault();
    f.submit(async (v) => {
      const body = { outcome: v.outcome, message: v.message };
      if (v.outcome === "partially_upheld" || (v.outcome === "upheld" && v.credit_amount)) {
        body.credit_amount = amountOf(v.credit_amount, cur);
      }
      if (v.outcome === "mediation") {
        body.mediator = v.mediator;
        body.until = v.until ? new Date(v.until).toISOString() : undefined;
      }
      await api(`/admin/cases/${encodeURIComponent(kase.case_id)}/disputes/${encodeURIComponent(dispute.dispute_id)}/resolve`,
        { method: "POST", body });
      done(t("case.resolved"));
    });
  };
  return html`<form ref=${f.form} onSubmit=${send} novalidate class="resolve"
      aria-labelledby=${`${base}-h`}>
    <h4 id=${`${base}-h`}>${t("case.resolve")}</h4>
    <fieldset data-field="outcome"><legend>${t("case.f.outcome")}</legend>
      ${["upheld", "partially_upheld", "rejected", "mediation"].map((v) => html`<label class="choice">
        <input type="radio" name=${`${base}-o`} value=${v} checked=${o === v} onChange=${f.set("outcome")} />
        ${t(`case.outcome.${v}`)}</label>`)}
      ${f.errors.outcome && html`<p class="err">${f.errors.outcome}</p>`}
    </fieldset>
    ${(o === "partially_upheld" || o === "upheld") && html`<${Field} id=${`${base}-credit`} field="credit_amount"
      label=${t("case.f.credit_amount")} hint=${o === "upheld" ? t("case.creditDefault") : amountHint(cur)}
      inputmode="decimal" value=${f.values.credit_amount} onInput=${f.set("credit_amount")}
      error=${f.errors.credit_amount} autocomplete="off" />`}
    ${o === "mediation" && html`
      <${Field} id=${`${base}-mediator`} field="mediator" label=${t("case.f.mediator")} value=${f.values.mediator}
        onInput=${f.set("mediator")} error=${f.errors.mediator} />
      <${Field} id=${`${base}-until`} field="until" type="datetime-local" label=${t("case.f.until")}
        value=${f.values.until} onInput=${f.set("until")} error=${f.errors.until} />`}
    <${Field} id=${`${base}-msg`} field="message" as="textarea" rows="3" label=${t("case.f.message")}
      hint=${t("case.messageHint")} value=${f.values.message} onInput=${f.set("message")} error=${f.errors.message} />
    <${FormAlert} failure=${f.failure} /><${Buttons} busy=${f.busy} label=${t("case.sendDecision")} />
  </form>`;
}

export function Disputes({ kase, can, done }) {
  const items = kase.disputes || [];
  if (!items.length) return null;
  const cur = kase.balance.currency;
  return html`<section aria-labelledby="disp-h"><h2 id="disp-h">${t("case.disputes")}</h2>
    ${[...items].reverse().map((d) => html`<article class="dispute" key=${d.dispute_id}
        aria-labelledby=${`d-${d.dispute_id}`}>
      <h3 id=${`d-${d.dispute_id}`}>${t(`case.reason.${d.reason}`)} · ${money({ amount: d.amount ?? d.disputed, currency: cur })}
        <span class="pill">${t(`case.dstatus.${d.status}`)}</span></h3>
      <p class="muted">${dateTime(d.opened_at)}</p>
      <blockquote>${d.message}</blockquote>
      ${d.attachments.map((a) => html`<${Evidence} key=${a.attachment_id} file=${a} />`)}
      ${d.outcome_message && html`<p><strong>${t("case.answer")}:</strong> ${d.outcome_message}</p>`}
      ${can.write && OPEN.includes(d.status) && html`<${ResolveForm} kase=${kase} dispute=${d} done=${done} />`}
    </article>`)}
  </section>`;
}

export function PaymentReports({ kase, can, done }) {
  const [open, setOpen] = useState(null);
  const reports = kase.payment_reports || [];
  if (!reports.length) return null;
  const references = new Set((kase.payments?.items || []).map((p) => p.reference));
  return html`<section aria-labelledby="rep-h"><h2 id="rep-h">${t("case.reports")}</h2>
    <ul class="plain">${reports.map((r, i) => {
      const matched = references.has(`offline:${r.reference}`) || references.has(r.reference);
      return html`<li key=${i}>${t("case.reported", { on: date(r.paid_on), method: t(`case.method.${r.method}`),
        reference: r.reference })} <span class="muted">(${dateTime(r.reported_at)})</span>
        ${matched ? html` <span class="pill">${t("case.reconciled")}</span>`
          : can.write && !["paid", "written_off"].includes(kase.status) && html` <button type="button"
            onClick=${() => setOpen(r)}>${t("case.reconcile")}</button>`}</li>`;
    })}</ul>
    ${open && html`<${Dialog} title=${t("case.reconcile")} onClose=${() => setOpen(null)}>
      <p class="hint">${t("case.reconcileHint")}</p>
      <${PaymentForm} kase=${kase} report=${open} close=${() => setOpen(null)} done=${done} /></${Dialog}>`}
  </section>`;
}
