// One case (#/cases/{id}): what is due and why, what happened and who did it, what the customer gets next,
// and every action the admin API offers the signed-in person's role.
import { html, useEffect, useState } from "../vendor/htm-preact.js";
import { api } from "../api.js";
import { dateTime, date, has, money, t } from "../i18n.js";
import { ErrorNote, Loading, Title, useApi } from "../ui.js";
import { Actions } from "./case_actions.js";
import { Disputes, PaymentReports } from "./case_dispute.js";
import { EvidencePack } from "./case_pack.js";
import { useScreenStyles } from "./case_form.js";

const label = (prefix, key) => (has(`${prefix}.${key}`) ? t(`${prefix}.${key}`) : String(key).replaceAll("_", " "));

function Balance({ kase }) {
  const b = kase.balance, cur = b.currency;
  const rows = [["principal", b.principal], ["fees", b.fees], ["interest", b.interest], ["discount", -b.discount],
    ["paid", -b.paid], ["credit", -b.credit]].filter(([name, v]) => v || name === "principal");
  return html`<section aria-labelledby="bal-h"><h2 id="bal-h">${t("case.balance")}</h2>
    <dl class="balance">
      ${rows.map(([name, v]) => html`<div><dt>${t(`case.bal.${name}`)}</dt>
        <dd class="num">${money({ amount: v, currency: cur })}</dd></div>`)}
      <div class="total"><dt>${t("case.bal.due")}</dt><dd class="num" id="case-due">${money({ amount: b.due, currency: cur })}</dd></div>
    </dl></section>`;
}

function Facts({ kase }) {
  const r = kase.reminders || {};
  const c = kase.customer, i = kase.invoice;
  return html`<dl class="facts">
    <div><dt>${t("case.status")}</dt><dd><span class="pill">${label("case.st", kase.status)}</span></dd></div>
    ${kase.stage && html`<div><dt>${t("case.stage")}</dt><dd>${label("case.stg", kase.stage)}</dd></div>`}
    <div><dt>${t("case.invoice")}</dt><dd>${i.number} · ${date(i.due_on)}</dd></div>
    <div><dt>${t("case.contact")}</dt><dd>${[c.email, c.phone].filter(Boolean).join(" · ")}</dd></div>
    <div><dt>${t("case.language")}</dt><dd>${c.locale} · ${c.timezone}${c.tier ? ` · ${c.tier}` : ""}</dd></div>
    ${r.paused && html`<div><dt>${t("case.paused")}</dt><dd>${r.paused.until
      ? t("case.pausedUntil", { until: dateTime(r.paused.until) }) : t("case.pausedOpen")}${
      r.paused.reason ? ` – ${r.paused.reason}` : ""}</dd></div>`}
  </dl>`;
}

function NextReminder({ id, version }) {
  const { data, error, loading, reload } = useApi(`/admin/cases/${encodeURIComponent(id)}/next-reminder`);
  useEffect(() => { if (version) reload(); }, [version]);
  let body;
  if (loading && !data) body = html`<${Loading} />`;
  else if (error) body = html`<${ErrorNote} error=${error} />`;
  else if (!data.next) body = html`<p class="muted">${t("case.noNext")}</p>`;
  else {
    const n = data.next;
    body = html`<p>${t("case.nextWhen", { at: dateTime(n.at), local: n.local_time.slice(0, 16).replace("T", " "),
      step: n.step, stage: label("case.stg", n.stage) })}</p>
      <p class="muted">${n.channels.map((c) => label("case.ch", c)).join(" + ")} · ${n.language}</p>
      ${n.email && html`<h3>${t("case.email")}</h3>
        <div class="message" aria-label=${t("case.email")}>
          <p><strong>${t("case.subject")}:</strong> <span id="next-subject">${n.email.subject}</span></p>
          <pre id="next-email">${n.email.text}</pre></div>`}
      ${n.sms && html`<h3>${t("case.sms")}</h3><pre class="message" id="next-sms">${n.sms.text}</pre>`}`;
  }
  return html`<section aria-labelledby="next-h"><h2 id="next-h">${t("case.next")}</h2>${body}</section>`;
}

const MONEY_KEYS = new Set(["amount", "credit", "credit_amount", "fee", "interest", "discount", "paid", "due",
  "disputed", "collected_amount", "partner_fee", "first_amount", "written_off"]);

// Identifiers and storage details stay out of the history a person reads (the API keeps them all).
const HIDDEN_KEYS = new Set(["by", "key", "link_id", "link_version", "attachment_id", "dispute_id", "content_type",
  "size", "currency", "issued_on", "expires_at", "from", "plan_id", "offer_id", "payment_intent", "event_id"]);

// Values that are words of the API's vocabulary, shown in the reader's language.
const VALUE_WORDS = { reason: "case.reason", status: "case.st", stage: "case.stg", method: "case.method",
  kind: "case.kind", outcome: "case.dstatus", channel: "case.ch" };

function value(k, v, currency) {
  if (MONEY_KEYS.has(k) && Number.isInteger(v)) return money({ amount: v, currency });
  if (typeof v === "boolean") return v ? "✓" : "–";
  if (VALUE_WORDS[k] && has(`${VALUE_WORDS[k]}.${v}`)) return t(`${VALUE_WORDS[k]}.${v}`);
  return v;
}

function details(data, currency) {
  return Object.entries(data || {}).filter(([k, v]) => !HIDDEN_KEYS.has(k) && v !== null && typeof v !== "object")
    .map(([k, v]) => `${label("case.d", k)}: ${value(k, v, currency)}`).join(" · ");
}

/** Who did it: for the broker's own events the person or key the API names, else the kind of actor (the
 * customer's evidence, seen while staff read the case, is still the customer's). */
export function who(event) {
  const by = event.by || event.data?.by;
  if (event.actor === "broker" && by && by.name) return by.kind === "api_key" ? t("case.byKey", { name: by.name }) : by.name;
  return label("case.actor", event.actor);
}

function Timeline({ kase }) {
  const [older, setOlder] = useState([]);
  const [before, setBefore] = useState(kase.events_before);
  const [failure, setFailure] = useState(null);
  useEffect(() => { setOlder([]); setBefore(kase.events_before); }, [kase]);
  const more = async () => {
    try {
      const page = await api(`/admin/cases/${encodeURIComponent(kase.case_id)}`, { query: { before } });
      setOlder((o) => [...page.events, ...o]);
      setBefore(page.events_before);
    } catch (error) {
      setFailure(error);
    }
  };
  const events = [...older, ...kase.events].reverse();
  const cur = kase.balance.currency;
  return html`<section aria-labelledby="tl-h"><h2 id="tl-h">${t("case.timeline")}</h2>
    <ol class="timeline" id="timeline">
      ${events.map((e) => html`<li key=${e.seq}>
        <span class="when">${dateTime(e.at)}</span>
        <span><span class="what">${label("case.ev", e.type)}</span> · <span class="who">${who(e)}</span></span>
        ${details(e.data, cur) && html`<span class="data">${details(e.data, cur)}</span>`}
      </li>`)}
    </ol>
    ${before && html`<button type="button" class="quiet" onClick=${more}>${t("case.older")}</button>`}
    <${ErrorNote} error=${failure} />
  </section>`;
}

function Payments({ kase }) {
  const items = kase.payments?.items || [];
  if (!items.length) return null;
  const cur = kase.balance.currency;
  return html`<section aria-labelledby="pay-h"><h2 id="pay-h">${t("case.payments")}</h2>
    <table><thead><tr><th scope="col">${t("case.f.reference")}</th><th scope="col">${t("case.f.method")}</th>
      <th scope="col">${t("case.f.state")}</th><th scope="col" class="num">${t("case.f.amount")}</th></tr></thead>
    <tbody>${items.map((p) => html`<tr key=${p.reference}><td>${p.reference}</td>
      <td>${label("case.method", p.method || p.source)}</td><td>${label("case.f", p.state)}</td>
      <td class="num">${money({ amount: p.counted, currency: cur })}</td></tr>`)}</tbody></table></section>`;
}

export default function Case({ id, me }) {
  useScreenStyles();
  const [version, setVersion] = useState(0);
  const [flash, setFlash] = useState("");
  const { data: kase, error, loading, reload } = useApi(`/admin/cases/${encodeURIComponent(id)}`);
  // After an action: the case and its next reminder read again (what the action changed, as the API sees it).
  const done = (message) => {
    setFlash(message || "");
    setVersion((v) => v + 1);
    reload();
  };
  const can = me?.permissions || {};
  // The same heading element while loading and after: the shell gave it the focus, and it keeps it.
  const head = html`<p class="crumb"><a href="#/cases">${t("nav.cases")}</a></p>
    <${Title}>${kase ? `${kase.customer.name} – ${kase.invoice.number}` : t("case.title")}</${Title}>`;
  if (!kase) {
    return html`<div class="case">${head}
      ${loading ? html`<${Loading} />` : html`<${ErrorNote} error=${error} retry=${reload} />`}</div>`;
  }
  return html`<div class="case">${head}
    <p class="ok" role="status" hidden=${!flash}>${flash}</p>
    <${Facts} kase=${kase} />
    ${can.write && html`<${Actions} kase=${kase} can=${can} done=${done} />`}
    <div class="cols">
      <div>
        <${Balance} kase=${kase} />
        <${Disputes} kase=${kase} can=${can} done=${done} />
        <${PaymentReports} kase=${kase} can=${can} done=${done} />
        <${Payments} kase=${kase} />
      </div>
      <div><${NextReminder} id=${id} version=${version} /><${EvidencePack} id=${id} /></div>
    </div>
    <${Timeline} kase=${kase} />
  </div>`;
}
