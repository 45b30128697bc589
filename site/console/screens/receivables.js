// Receivables: what is owed per currency and how old it is, what came in over the last 30 days, what the
// ladder will send in the next 7, and which ladder steps bring payments. Every figure is the reports API's.
import { html, useState } from "../vendor/htm-preact.js";
import { date, money, number, t } from "../i18n.js";
import { CsvButton, ErrorNote, Loading, Money, Title, useApi } from "../ui.js";

const BUCKETS = ["current", "1-30", "31-60", "61-90", "90+"];
const DAY = 86_400_000;
const isoDay = (ms) => new Date(ms).toISOString().slice(0, 10);

/** The aging buckets of one currency as bars; the table beside it carries the same figures for everyone. */
function AgingChart({ row, id }) {
  const W = 520, H = 200, top = 24, bottom = 28, gap = 16;
  const width = (W - gap * (BUCKETS.length + 1)) / BUCKETS.length;
  const byName = Object.fromEntries(row.buckets.map((b) => [b.bucket, b]));
  const largest = Math.max(1, ...row.buckets.map((b) => b.amount));
  return html`<svg class="chart" viewBox=${`0 0 ${W} ${H}`} role="img" aria-labelledby=${id}>
    <title id=${id}>${t("rec.chartTitle", { c: row.currency })}</title>
    <line class="axis" x1="0" x2=${W} y1=${H - bottom} y2=${H - bottom} />
    ${BUCKETS.map((name, i) => {
      const amount = byName[name]?.amount || 0;
      const h = Math.round(((H - top - bottom) * amount) / largest);
      const x = gap + i * (width + gap);
      return html`<g key=${name} class=${`bar b${i}`}>
        <rect x=${x} y=${H - bottom - h} width=${width} height=${Math.max(h, amount ? 1 : 0)} rx="3" />
        <text class="value" x=${x + width / 2} y=${H - bottom - h - 6}>${money({ amount, currency: row.currency },
          { notation: "compact", minimumFractionDigits: 0, maximumFractionDigits: 1 })}</text>
        <text class="label" x=${x + width / 2} y=${H - 8}>${t(`rec.bucket.${name}`)}</text>
      </g>`;
    })}
  </svg>`;
}

function Currency({ row }) {
  const byName = Object.fromEntries(row.buckets.map((b) => [b.bucket, b]));
  const id = `aging-${row.currency}`;
  return html`<section class="currency" aria-labelledby=${`${id}-h`} data-currency=${row.currency}>
    <h3 id=${`${id}-h`}>${row.currency}</h3>
    <p class="total"><span class="big" data-testid=${`open-${row.currency}`}>
      <${Money} value=${{ amount: row.open, currency: row.currency }} /></span>
      <span class="muted">${t("rec.openIn", { n: number(row.cases) })}</span></p>
    <div class="aging">
      <${AgingChart} row=${row} id=${`${id}-t`} />
      <table class="figures">
        <caption class="sr-only">${t("rec.agingOf", { c: row.currency })}</caption>
        <thead><tr><th scope="col">${t("rec.age")}</th><th scope="col" class="num">${t("rec.amount")}</th>
          <th scope="col" class="num">${t("rec.cases")}</th></tr></thead>
        <tbody>${BUCKETS.map((name) => html`<tr key=${name} data-bucket=${name}>
          <th scope="row">${t(`rec.bucket.${name}`)}</th>
          <td class="num"><${Money} value=${{ amount: byName[name]?.amount || 0, currency: row.currency }} /></td>
          <td class="num">${number(byName[name]?.cases || 0)}</td></tr>`)}</tbody>
      </table>
    </div>
  </section>`;
}

/** DSO and CEI of one currency over the period, as the API computed them (null: no figure to give). */
function Kpis({ row }) {
  const dso = row.dso_days == null ? t("rec.overYear") : t("rec.days", { n: number(row.dso_days) });
  const cei = row.cei_percent == null ? "–"
    : number(row.cei_percent / 100, { style: "percent", maximumFractionDigits: 1 });
  return html`<dl class="kpis">
    <div><dt>${t("rec.dso")}</dt><dd data-testid=${`dso-${row.currency}`}>${dso}</dd></div>
    <div><dt>${t("rec.cei")}</dt><dd data-testid=${`cei-${row.currency}`}>${cei}</dd></div></dl>`;
}

function Steps({ steps }) {
  if (!steps.length) return html`<p class="muted">${t("rec.noSteps")}</p>`;
  return html`<table class="figures wide" id="steps">
    <thead><tr><th scope="col">${t("rec.step")}</th><th scope="col" class="num">${t("rec.sent")}</th>
      <th scope="col" class="num">${t("rec.paidVia")}</th><th scope="col" class="num">${t("rec.rate")}</th>
      <th scope="col" class="num">${t("rec.stepCollected")}</th><th scope="col" class="num">${t("rec.median")}</th>
    </tr></thead>
    <tbody>${steps.map((s) => html`<tr key=${s.step} data-step=${s.step}>
      <th scope="row">${s.step}</th>
      <td class="num">${number(s.sent)}</td>
      <td class="num">${number(s.paid_via_link)}</td>
      <td class="num">${s.sent ? number(s.paid_via_link / s.sent, { style: "percent", maximumFractionDigits: 1 }) : "–"}</td>
      <td class="num">${s.collected.length ? s.collected.map((m, i) => html`${i ? html`<br />` : ""}<${Money} value=${m} />`) : "–"}</td>
      <td class="num">${s.median_days_to_pay == null ? "–" : t("rec.days", { n: number(s.median_days_to_pay) })}</td>
    </tr>`)}</tbody>
  </table>`;
}

function Forecast({ days }) {
  const total = days.reduce((n, d) => n + d.contacts, 0);
  return html`<p>${t("rec.forecastTotal", { n: number(total) })}</p>
    <table class="figures wide" id="forecast">
      <thead><tr><th scope="col">${t("rec.day")}</th><th scope="col" class="num">${t("rec.contacts")}</th>
        <th scope="col">${t("rec.byStep")}</th></tr></thead>
      <tbody>${days.map((d) => html`<tr key=${d.date} data-date=${d.date}>
        <th scope="row">${date(d.date, { weekday: "short", day: "numeric", month: "short" })}</th>
        <td class="num">${number(d.contacts)}</td>
        <td>${Object.entries(d.by_step).map(([step, n]) => `${step}: ${number(n)}`).join(", ") || "–"}</td>
      </tr>`)}</tbody>
    </table>`;
}

export default function Receivables() {
  const [today] = useState(() => isoDay(Date.now()));
  const book = useApi("/admin/reports/receivables");
  const [period] = useState(() => ({ from: isoDay(Date.parse(today) - 30 * DAY), to: today }));
  const perf = useApi("/admin/reports/performance", period);
  const next = useApi("/admin/reports/forecast", { days: 7 });
  // One render when all three answers are in: sections filling in one by one would push each other down.
  const first = [book, perf, next].some((r) => r.loading && !r.data && !r.error);
  if (first) return html`<${Title}>${t("nav.receivables")}<//><${Loading} />`;
  return html`<${Title}>${t("nav.receivables")}<//>
    <section aria-labelledby="r-open">
      <h2 id="r-open">${t("rec.open")}</h2>
      <${ErrorNote} error=${book.error} retry=${book.reload} />
      ${book.data && html`<p class="muted">${t("rec.asOf", { d: date(book.data.as_of), tz: book.data.timezone })}</p>
        ${book.data.currencies.length ? book.data.currencies.map((row) => html`<${Currency} key=${row.currency} row=${row} />`)
          : html`<p>${t("rec.nothingOpen")}</p>`}
        <p class="actions"><${CsvButton} path="/admin/reports/receivables.csv" name="receivables.csv" /></p>`}
    </section>
    <section aria-labelledby="r-collected">
      <h2 id="r-collected">${t("rec.collected")}</h2>
      <${ErrorNote} error=${perf.error} retry=${perf.reload} />
      ${perf.data && html`<p class="muted">${t("rec.period", { from: date(perf.data.from), to: date(perf.data.to) })}</p>
        <ul class="tiles" id="collected">${perf.data.currencies.map((c) => html`<li key=${c.currency} data-currency=${c.currency}>
          <span class="big"><${Money} value=${{ amount: c.collected, currency: c.currency }} /></span>
          <span class="muted">${t("rec.collectedIn", { c: c.currency })}</span>
          <${Kpis} row=${c} /></li>`)}
          ${!perf.data.currencies.length && html`<li>${t("rec.nothingCollected")}</li>`}</ul>
        <h2 id="r-steps">${t("rec.steps")}</h2>
        <p class="muted">${t("rec.stepsHint")}</p>
        <${Steps} steps=${perf.data.steps} />
        <p class="actions"><${CsvButton} path="/admin/reports/performance.csv" name="performance.csv" query=${period} /></p>`}
    </section>
    <section aria-labelledby="r-next">
      <h2 id="r-next">${t("rec.next")}</h2>
      <${ErrorNote} error=${next.error} retry=${next.reload} />
      ${next.data && html`<${Forecast} days=${next.data.days} />`}
    </section>`;
}
