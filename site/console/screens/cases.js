// Cases: every case of the book, filtered, searched, sorted and paged by the API (thousands of cases stay
// quick). The filters live in the address, so a filtered list can be bookmarked and Back works.
import { html, useEffect, useState } from "../vendor/htm-preact.js";
import { date, number, t } from "../i18n.js";
import { CsvButton, ErrorNote, Money, Title, useApi } from "../ui.js";

const STATUSES = ["open", "promised", "on_plan", "disputed", "escalated", "paid", "written_off"];
const STAGES = ["courtesy", "reminder", "formal", "late_fee", "final", "escalation"];
const FILTERS = ["q", "status", "stage", "tier", "currency", "overdue_min", "overdue_max"];
const SORTS = [["customer", "cases.customer"], ["due_date", "cases.due"], ["balance", "cases.balance"],
  ["updated_at", "cases.updated"]];
const PAGE = 25;

const toHash = (query) => {
  const params = new URLSearchParams(Object.entries(query).filter(([, v]) => v !== "" && v != null));
  const text = params.toString();
  return `#/cases${text ? `?${text}` : ""}`;
};

function Filters({ query, navigate }) {
  const [form, setForm] = useState(() => Object.fromEntries(FILTERS.map((k) => [k, query[k] || ""])));
  useEffect(() => setForm(Object.fromEntries(FILTERS.map((k) => [k, query[k] || ""]))), [JSON.stringify(query)]);
  const set = (key) => (e) => setForm({ ...form, [key]: e.target.value });
  const apply = (e) => {
    e.preventDefault();
    const currency = form.currency.trim().toUpperCase();
    navigate(toHash({ ...form, q: form.q.trim(), currency, sort: query.sort, order: query.order }));
  };
  const clear = () => navigate(toHash({ sort: query.sort, order: query.order }));
  const select = (key, values, prefix) => html`<div>
    <label for=${`f-${key}`}>${t(`cases.${key}`)}</label>
    <select id=${`f-${key}`} value=${form[key]} onChange=${set(key)}>
      <option value="">${t("cases.any")}</option>
      ${values.map((v) => html`<option value=${v}>${t(`${prefix}.${v}`)}</option>`)}
    </select></div>`;
  const input = (key, attrs) => html`<div>
    <label for=${`f-${key}`}>${t(`cases.${key}`)}</label>
    <input id=${`f-${key}`} value=${form[key]} onInput=${set(key)} ...${attrs} /></div>`;
  return html`<form class="filters" role="search" onSubmit=${apply} aria-label=${t("cases.filters")}>
    <div class="search">${input("q", { type: "search", placeholder: t("cases.qHint") })}</div>
    ${select("status", STATUSES, "status")}
    ${select("stage", STAGES, "stage")}
    ${input("tier", { size: 10 })}
    ${input("currency", { size: 4, maxlength: 3, autocapitalize: "characters" })}
    ${input("overdue_min", { type: "number", min: 0, inputmode: "numeric", class: "days" })}
    ${input("overdue_max", { type: "number", min: 0, inputmode: "numeric", class: "days" })}
    <div class="buttons"><button type="submit" class="primary">${t("cases.apply")}</button>
      <button type="button" class="quiet" onClick=${clear}>${t("cases.clear")}</button></div>
  </form>`;
}

function SortHeader({ field, label, query, navigate }) {
  const sort = query.sort || "due_date";
  const order = query.order || "asc";
  const active = sort === field;
  const next = active && order === "asc" ? "desc" : "asc";
  const go = () => navigate(toHash({ ...query, cursor: undefined, sort: field, order: next }));
  return html`<th scope="col" aria-sort=${active ? (order === "asc" ? "ascending" : "descending") : undefined}
    class=${field === "balance" ? "num" : ""}>
    <button type="button" class="sort" onClick=${go}>${t(label)}
      <span aria-hidden="true">${active ? (order === "asc" ? " ▲" : " ▼") : ""}</span></button></th>`;
}

export default function Cases({ query, navigate }) {
  const [trail, setTrail] = useState([]); // cursors of the pages before this one
  const params = { ...Object.fromEntries(Object.entries(query).filter(([k]) => FILTERS.includes(k) || k === "sort"
    || k === "order" || k === "cursor")), limit: PAGE };
  const { data, error, loading, reload } = useApi("/admin/cases", params);
  const page = (cursor, back) => {
    setTrail(back ? trail.slice(0, -1) : [...trail, query.cursor || ""]);
    navigate(toHash({ ...query, cursor }));
  };
  const filtered = FILTERS.some((k) => query[k]);
  return html`<${Title}>${t("nav.cases")}<//>
    <${Filters} query=${query} navigate=${navigate} />
    <${ErrorNote} error=${error} retry=${reload} />
    <p class="muted" role="status">${loading ? t("loading") : data ? t(filtered ? "cases.shownFiltered" : "cases.shown",
      { n: number(data.items.length) }) : ""}</p>
    ${data && html`<table class="list" id="cases">
      <caption class="sr-only">${t("nav.cases")}</caption>
      <thead><tr>
        <${SortHeader} field="customer" label="cases.customer" query=${query} navigate=${navigate} />
        <th scope="col">${t("cases.invoice")}</th>
        <th scope="col">${t("cases.status")}</th>
        <th scope="col">${t("cases.stage")}</th>
        <${SortHeader} field="due_date" label="cases.due" query=${query} navigate=${navigate} />
        <th scope="col" class="num">${t("cases.overdue")}</th>
        <${SortHeader} field="balance" label="cases.balance" query=${query} navigate=${navigate} />
        <${SortHeader} field="updated_at" label="cases.updated" query=${query} navigate=${navigate} />
      </tr></thead>
      <tbody>${data.items.map((c) => html`<tr key=${c.case_id}>
        <th scope="row"><a href=${`#/cases/${encodeURIComponent(c.case_id)}`}>${c.customer.name}</a>
          <span class="sub">${c.customer.email || ""}</span></th>
        <td>${c.invoice.number}</td>
        <td><span class=${`pill ${c.status}`}>${t(`status.${c.status}`)}</span></td>
        <td>${c.stage ? t(`stage.${c.stage}`) : "–"}</td>
        <td>${date(c.invoice.due_on)}</td>
        <td class="num">${c.days_overdue > 0 ? number(c.days_overdue) : "–"}</td>
        <td class="num"><${Money} value=${{ amount: c.balance.due, currency: c.balance.currency }} /></td>
        <td>${date(c.updated_at)}</td>
      </tr>`)}</tbody>
    </table>
    ${!data.items.length && html`<p>${t(filtered ? "cases.noneFiltered" : "cases.none")}</p>`}
    <p class="actions"><${CsvButton} path="/admin/cases.csv" name="cases.csv"
      query=${Object.fromEntries(Object.entries(params).filter(([k]) => k !== "cursor" && k !== "limit"))} /></p>
    <nav class="pager" aria-label=${t("cases.pages")}>
      ${query.cursor && html`<button type="button" onClick=${() => page(trail[trail.length - 1], true)}>
        ${t("cases.previous")}</button>`}
      ${data.next_cursor && html`<button type="button" onClick=${() => page(data.next_cursor)}>${t("cases.next")}</button>`}
    </nav>`}`;
}
