// Today: what needs a person now, grouped by why, each one click from its case.
import { html } from "../vendor/htm-preact.js";
import { date, dateTime, has, t } from "../i18n.js";
import { ErrorNote, Loading, Money, Title, useApi } from "../ui.js";

const KINDS = ["dispute", "already_paid", "email_bounced", "send_failed", "plan_defaulted", "promise_due",
  "ready_for_collections"];

const CODES = { dispute: "reason", already_paid: "method", email_bounced: "bounce" };

/** The API's detail in words: a dispute's reason, how a customer says they paid, why an email came back. */
function detailText(item) {
  if (item.kind === "promise_due") return t("today.promisedFor", { d: date(item.detail) });
  const key = CODES[item.kind] && `${CODES[item.kind]}.${item.detail}`;
  return key && has(key) ? t(key) : item.detail;
}

function Group({ kind, items }) {
  return html`<section class="group" aria-labelledby=${`k-${kind}`}>
    <h2 id=${`k-${kind}`}>${t(`today.${kind}`)} <span class="count">${items.length}</span></h2>
    <ul class="rows">
      ${items.map((item) => html`<li key=${item.case_id}>
        <a href=${`#/cases/${encodeURIComponent(item.case_id)}`}>
          <span class="who">${item.customer_name}</span>
          <span class="muted"> · ${t("today.invoice", { n: item.invoice_number })}</span>
        </a>
        <span class="num"><${Money} value=${item.balance} /></span>
        <span class="muted">${t("today.since", { d: dateTime(item.since) })}</span>
        ${item.detail && html`<span class="detail">${detailText(item)}</span>`}
      </li>`)}
    </ul>
  </section>`;
}

export default function Today() {
  const { data, error, loading, reload } = useApi("/admin/today");
  const groups = data ? KINDS.map((kind) => [kind, data.items.filter((i) => i.kind === kind)])
    .filter(([, items]) => items.length) : [];
  return html`<${Title}>${t("nav.today")}<//>
    <${ErrorNote} error=${error} retry=${reload} />
    ${loading && !data && html`<${Loading} />`}
    ${data && !groups.length && html`<p class="ok">${t("today.empty")}</p>`}
    ${data && groups.length > 0 && html`<p class="muted">${t("today.intro", { n: data.items.length })}</p>`}
    ${groups.map(([kind, items]) => html`<${Group} key=${kind} kind=${kind} items=${items} />`)}`;
}
