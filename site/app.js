// The pay page: the one case behind a signed link, and what its customer can do about it.
// The token arrives in the URL fragment (browsers never send that to a server), leaves the address bar at
// once and lives only in this closure: a reload, or the way back from Checkout, needs the link again.
"use strict";
(() => {
// English is built in (and the fallback for a missing string); other languages load from /i18n/<lang>.json.
const EN = {
lang: "Language", loading: "Loading your invoice…", invoice: "Invoice {n}", from: "From {b}", status: "Status",
dueOn: "Due on {d}", nothing: "Nothing to pay. Thank you!", yourPlan: "Your payment plan",
payFull: "Pay {a} now", others: "Other ways to settle", part: "Pay part of it", amountIn: "Amount ({c})",
upTo: "From {a} to {b}.", toPay: "Continue to payment", plan: "Pay in installments", planPick: "Choose a plan",
offer: "{n} installments, first {a}", promise: "Promise to pay by a date", payBy: "I will pay by",
sendPromise: "Send my promise", paid: "I already paid", paidOn: "Date of payment", method: "How did you pay?",
choose: "Choose…", m_bank_transfer: "Bank transfer", m_cheque: "Cheque", m_cash: "Cash", m_other: "Other",
ref: "Payment reference", send: "Send", dispute: "Dispute this invoice", reason: "Reason",
r_not_received: "I did not receive what was invoiced", r_wrong_amount: "The amount is wrong",
r_quality: "There is a problem with the quality", r_already_paid: "I already paid", r_other: "Another reason",
message: "What happened?", dAmount: "Disputed amount in {c} (optional)",
dAmountHint: "Leave it empty to dispute the whole invoice.", file: "Evidence (optional)",
fileHint: "PDF, PNG or JPEG, up to 10 MB.", sendDispute: "Open the dispute", balance: "Balance",
b_principal: "Invoice amount", b_fees: "Fees", b_interest: "Interest", b_discount: "Discount", b_paid: "Paid",
b_due: "Amount due", b_credit: "Credit", details: "Invoice details", number: "Number", desc: "Description",
issued: "Issued on", dueDate: "Due on", contact: "Questions?", history: "History",
until: "This link works until {d}.",
st_open: "Open", st_promised: "Payment promised", st_on_plan: "On a payment plan", st_disputed: "Disputed",
st_escalated: "Overdue", st_paid: "Paid", st_written_off: "Closed",
ev_case_opened: "Invoice {n} for {a}", ev_reminder_sent: "Reminder sent", ev_payment_received: "Payment received: {a}",
ev_payment_refunded: "Refund: {a}", ev_fee_applied: "Fee added: {a}", ev_interest_applied: "Interest added: {a}",
ev_status_changed: "Status: {s}", ev_promise_made: "Promise to pay by {d}",
ev_plan_started: "Payment plan: {n} installments", ev_dispute_opened: "Dispute opened",
ev_dispute_resolved: "Dispute answered", ev_already_paid_reported: "Payment reported, made on {d}",
ev_payment_pending: "Payment on its way: {a}", ev_payment_failed: "Payment failed: {a}",
ev_chargeback_opened: "Card payment disputed: {a}", ev_chargeback_closed: "Card dispute closed",
linkTitle: "This link does not work any more",
linkText: "Links expire after a while, and a newer link replaces the older ones.",
fresh: "Email me a fresh link",
freshSent: "If this link can be renewed, a fresh one is on its way to the email address we have for you.",
freshNone: "Please reply to your latest reminder to ask for a fresh link.",
openTitle: "Open your personal link", noToken: "Open the link in your reminder email or text message to see your invoice.",
okTitle: "Thank you!", okText: "Your payment is on its way and we will email you a receipt. To see your updated balance, open your link again.",
cancelTitle: "Payment cancelled", cancelText: "Nothing was charged. Open your link again to pay or to choose another way to settle.",
errInput: "Please check what you entered.", errTitle: "Something went wrong", retry: "Try again",
errNet: "We could not reach the server. Check your connection and try again.",
errServer: "Something went wrong on our side. Please try again in a moment.",
errConflict: "This is not possible for this invoice right now. We have reloaded it for you.",
errPending: "A payment is already on its way.", errGone: "This is not available online yet. Please contact {b}.",
errUpload: "Your dispute is open, but the file did not upload. Please send it to {b}.",
v_amount: "Enter an amount like {x}.", v_max: "Enter at most {a}.", v_min: "Enter an amount above zero.",
v_part: "This amount cannot be paid as a part payment. Try a larger amount, or pay in full.",
v_pick: "Choose a plan.", v_date: "Choose a date.", v_future: "Choose a date from today on.",
v_past: "Choose a date that is not in the future.", v_later: "Choose an earlier date.", v_text: "Please fill this in.",
v_fileType: "Choose a PDF, PNG or JPEG file.", v_fileSize: "The file is larger than 10 MB.", v_field: "Please check this.",
okPromise: "Thank you. We have noted your promise to pay by {d}.", okPaid: "Thank you. We have asked {b} to check your payment.",
okDispute: "Your dispute is open. {b} will answer you.", paidMark: "paid",
why: "{a} off the {b} due if you pay it all by {d}.", small: "The {a} left is less than one card payment can be. Please contact {b} to settle it.",
v_range: "Enter an amount from {a} to {b}."
};

const D = { en: EN };
const LANGS = ["en", "es", "fr", "de"];
const loading = {};
const MAX_FILE = 10 * 1024 * 1024;
const FILE_TYPES = ["application/pdf", "image/png", "image/jpeg"];
const $ = (id) => document.getElementById(id);
const $$ = (sel) => Array.from(document.querySelectorAll(sel));

// ?lang= (e.g. on the way back from Checkout), else the reader's browser, until a case says otherwise.
const asked = new URLSearchParams(location.search).get("lang");
const guess = LANGS.includes(asked) ? asked : LANGS.find((l) => navigator.languages.some((n) => n.slice(0, 2) === l)) || "en";
let lang = "en";
let chosen = false; // the customer picked a language here: the case's locale no longer overrides it
let token = take();
let kase = null; // GET /customer/case
let note = null; // {title, text, retry} of the message page on screen
let config = null;
const gone = new Set(); // actions this API does not offer (yet)
const CASE_TEXT = ["c-title", "c-from", "c-due", "c-dueon", "c-status", "c-msg", "c-plan-list", "plan-list",
  "c-balance", "c-details", "c-contact", "c-timeline", "c-until", "c-small", "pay-why"];

function take() {
  const value = location.hash.slice(1);
  if (value) history.replaceState(null, "", location.pathname + location.search);
  return value || null;
}

// Resolves once the language's strings are here (or failed to come: English stands in, and the next use retries).
function strings(l) {
  loading[l] = loading[l] || (D[l] ? Promise.resolve() : fetch("/i18n/" + l + ".json")
    .then((r) => (r.ok ? r.json() : Promise.reject(r)))
    .then((d) => (D[l] = d), () => delete loading[l]));
  return loading[l];
}

async function speak(l) {
  await strings(l);
  lang = l;
}

function t(key, vars) {
  const s = (D[lang] || {})[key] || EN[key] || "";
  return s.replace(/\{(\w)\}/g, (_, k) => (vars && vars[k] != null ? vars[k] : ""));
}

function el(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const k in attrs) e.setAttribute(k, attrs[k]);
  e.append(...kids);
  return e;
}

// --- formats ----------------------------------------------------------------------------------------
// Minor digits as the API counts them (Stripe's exponents), never the browser's own idea of the currency.
const digits = () => kase.currency.exponent;
// The reader's regional variant of the page's language (en-GB dates for a British reader), else the language.
const intl = () => navigator.languages.find((n) => n.slice(0, 2) === lang) || lang;
const money = (minor, cur) => new Intl.NumberFormat(intl(), { style: "currency", currency: cur,
  minimumFractionDigits: digits(), maximumFractionDigits: digits() }).format(minor / 10 ** digits());
const neg = (x) => (x ? -x : 0);
function day(s) {
  if (!s) return "";
  const plain = s.length === 10; // a calendar date: show that day wherever the reader is
  const d = new Date(plain ? s + "T00:00:00Z" : s);
  return isNaN(d) ? s : new Intl.DateTimeFormat(intl(), { dateStyle: plain ? "long" : "medium", timeZone: plain ? "UTC" : undefined }).format(d);
}
function today(offset) {
  const d = new Date();
  d.setDate(d.getDate() + (offset || 0));
  return [d.getFullYear(), d.getMonth() + 1, d.getDate()].map((n) => String(n).padStart(2, "0")).join("-");
}

// --- the API ------------------------------------------------------------------------------------------
async function call(method, path, body, auth = true) {
  let r;
  try {
    config = config || (await (await fetch("/config.json")).json());
    const headers = {};
    if (auth) headers.Authorization = "Bearer " + token;
    if (body) headers["Content-Type"] = "application/json";
    r = await fetch(config.api_url + path, { method, headers, cache: "no-store", body: body && JSON.stringify(body) });
  } catch (e) {
    throw { status: 0 };
  }
  const data = await r.json().catch(() => null);
  if (!r.ok) throw { status: r.status, error: (data && data.error) || {} };
  return data;
}

// --- views ------------------------------------------------------------------------------------------
function show(id, focus) {
  for (const v of $$("main > section, #v-load")) v.hidden = v.id !== id;
  if (focus) $(focus).focus();
}

function paint() {
  document.documentElement.lang = lang;
  $("lang").value = lang;
  for (const e of $$("[data-t]")) e.textContent = t(e.dataset.t);
  let title = $("v-link").hidden ? "" : t("linkTitle");
  if (note) {
    $("n-title").textContent = title = t(note.title);
    $("n-text").textContent = t(note.text);
    $("n-retry").hidden = !note.retry;
  }
  if (kase) title = drawCase();
  document.title = title || t("loading");
}

function drawCase() {
  const c = kase, b = c.balance, cur = b.currency, m = (x) => money(x, cur), broker = c.broker.name;
  $("c-title").textContent = t("invoice", { n: c.invoice.number });
  $("c-from").textContent = t("from", { b: broker });
  $("c-due").textContent = m(b.due);
  $("c-dueon").textContent = t("dueOn", { d: day(c.invoice.due_on) });
  $("c-status").textContent = t("st_" + c.status) || c.status;
  $("c-status").className = "pill " + c.status;

  const open = b.due > 0 && c.status !== "paid" && c.status !== "written_off";
  const offers = c.plan_offers || [], pay = c.pay || {}, stuck = pay.blocked === "small_remainder";
  const may = {
    full: open && !stuck, part: open && !!pay.part, promise: open && ["open", "escalated"].includes(c.status), paid: open,
    plan: open && offers.length > 0 && ["open", "promised", "escalated"].includes(c.status),
    dispute: open && c.status !== "disputed",
  };
  for (const k in may) $("a-" + k).hidden = !may[k] || gone.has(k);
  $("c-others").hidden = !Object.keys(may).some((k) => k !== "full" && !$("a-" + k).hidden);
  $("c-nothing").hidden = open;
  $("c-small").textContent = open && stuck ? t("small", { a: m(b.due), b: broker }) : "";
  // A failed plan installment: the API charges only that installment now, so the button says its amount.
  // Otherwise what Checkout will charge, and why it is less than the amount due.
  const now = c.plan && c.plan.pay_now, off = !now && pay.discount;
  $("pay-full").textContent = t("payFull", { a: m(now ? now.amount : pay.payable_now != null ? pay.payable_now : b.due) });
  $("pay-why").textContent = off ? t("why", { a: m(off.amount), b: m(b.due), d: day(off.until) }) : "";
  $("part-label").textContent = t("amountIn", { c: cur });
  $("part-hint").textContent = pay.part ? t("upTo", { a: m(pay.part.min), b: m(pay.part.max) }) : "";
  $("dispute-amount-label").textContent = t("dAmount", { c: cur });
  $("promise-date").min = today();
  $("paid-date").max = today();

  const picked = ($$("#plan-list input:checked")[0] || {}).value;
  $("plan-list").replaceChildren(...offers.map((o, i) => {
    const id = "offer-" + i, steps = o.schedule || [];
    return el("div", { class: "offer" },
      el("input", { type: "radio", name: "offer", id, value: o.offer_id, "aria-describedby": id + "-s" }),
      el("label", { for: id }, t("offer", { n: o.installments || steps.length, a: m(o.first_amount != null ? o.first_amount : (steps[0] || {}).amount) })),
      el("ol", { id: id + "-s", class: "sched" }, ...steps.map((s) => el("li", {}, day(s.due_on || s.date) + ": " + m(s.amount)))));
  }));
  for (const r of $$("#plan-list input")) r.checked = r.value === picked;

  const plan = c.plan && (c.plan.schedule || c.plan.installments);
  $("c-plan").hidden = !Array.isArray(plan);
  if (Array.isArray(plan)) {
    $("c-plan-list").replaceChildren(...plan.map((s) => el("li", {}, day(s.due_on || s.date) + ": " + m(s.amount) +
      (s.status === "paid" || s.paid ? " (" + t("paidMark") + ")" : ""))));
  }

  const rows = [["principal", b.principal], ["fees", b.fees], ["interest", b.interest], ["discount", neg(b.discount)],
    ["paid", neg(b.paid)], ["due", b.due]];
  if (b.credit) rows.push(["credit", b.credit]);
  $("c-balance").replaceChildren(...rows.map(([k, v]) =>
    el("tr", k === "due" ? { class: "total" } : {}, el("th", { scope: "row" }, t("b_" + k)), el("td", {}, m(v)))));

  const facts = [["number", c.invoice.number], ["desc", c.invoice.description], ["issued", day(c.invoice.issued_on)], ["dueDate", day(c.invoice.due_on)]].filter((f) => f[1]);
  $("c-details").replaceChildren(...facts.flatMap(([k, v]) => [el("dt", {}, t(k)), el("dd", {}, v)]));

  const ways = [broker];
  if (c.broker.email) ways.push(el("a", { href: "mailto:" + c.broker.email }, c.broker.email));
  if (c.broker.phone) ways.push(el("a", { href: "tel:" + c.broker.phone.replace(/[^+\d]/g, "") }, c.broker.phone));
  $("c-contact").replaceChildren(...ways.flatMap((w, i) => (i ? [" · ", w] : [w])));

  const items = c.timeline.filter((e) => EN["ev_" + e.type]).slice().reverse();
  $("c-timeline").replaceChildren(...items.map((e) => el("li", {},
    el("time", { datetime: e.at }, day(e.at)), " ", story(e, cur))));
  $("c-until").textContent = c.link_expires_at ? t("until", { d: day(c.link_expires_at) }) : "";
  return t("invoice", { n: c.invoice.number }) + " · " + broker;
}

function story(e, cur) {
  const d = e.data || {};
  return t("ev_" + e.type, {
    a: d.amount != null ? money(d.amount, d.currency || cur) : "",
    n: d.invoice_number || (Array.isArray(d.installments) ? d.installments.length : d.installments),
    d: day(d.pay_by || d.paid_on), s: d.status ? t("st_" + d.status) : "",
  });
}

function showNote(title, text, retry) {
  note = { title, text, retry };
  paint();
  show("v-note", "n-title");
}

function linkPage() {
  kase = null;
  note = null;
  // Nothing of a case stays on the page once its link stops working.
  for (const id of CASE_TEXT) $(id).replaceChildren();
  $("fresh").hidden = !token || gone.has("fresh");
  $("l-msg").textContent = "";
  paint();
  show("v-link", "l-title");
}

// --- loading the case -----------------------------------------------------------------------------------
async function load(quiet) {
  if (!quiet) show("v-load");
  try {
    kase = await call("GET", "/customer/case");
  } catch (e) {
    if (e.status === 401) return linkPage();
    if (quiet) return; // what is on screen still holds; the next action will tell
    return showNote("errTitle", e.status ? "errServer" : "errNet", true);
  }
  if (!chosen && LANGS.includes(kase.customer.locale)) await speak(kase.customer.locale);
  note = null;
  paint();
  if (!quiet) show("v-case");
}

// --- actions ------------------------------------------------------------------------------------------
function invalid(key, vars) {
  throw { key, vars };
}

function mark(input, text) {
  const err = $(input.id + "-err");
  err.textContent = text || "";
  err.hidden = !text;
  if (input.tagName === "FIELDSET") return;
  if (text) input.setAttribute("aria-invalid", "true");
  else input.removeAttribute("aria-invalid");
}

function amountOf(text, range) {
  const cur = kase.balance.currency, n = digits(), due = kase.balance.due;
  const value = text.replace(/[\s\u00a0\u202f]/g, "");
  if (!value && !range) return undefined;
  const example = (1234.5).toLocaleString(intl(), { minimumFractionDigits: n, maximumFractionDigits: n, useGrouping: false });
  const match = /^(\d+)(?:[.,](\d+))?$/.exec(value);
  if (!match || (match[2] || "").length > n) invalid("v_amount", { x: example });
  const minor = Number(match[1] + (match[2] || "").padEnd(n, "0"));
  if (!Number.isSafeInteger(minor)) invalid("v_amount", { x: example });
  if (minor <= 0) invalid("v_min");
  if (minor > due) invalid("v_max", { a: money(due, cur) });
  if (range && minor !== due && (minor < range.min || minor > range.max)) {
    invalid("v_range", { a: money(range.min, cur), b: money(range.max, cur) });
  }
  return minor;
}

function needed(text) {
  return text || invalid("v_text");
}

function dateOf(when) {
  return (text) => {
    if (!/^\d{4}-\d\d-\d\d$/.test(text)) invalid("v_date");
    if (when === "future" && text < today()) invalid("v_future");
    if (when === "past" && text > today()) invalid("v_past");
    return text;
  };
}

function fileOf(_, input) {
  const file = input.files[0];
  if (!file) return undefined;
  if (!FILE_TYPES.includes(file.type)) invalid("v_fileType");
  if (file.size > MAX_FILE) invalid("v_fileSize");
  return file;
}

function picked(_, fieldset) {
  const radio = fieldset.querySelector("input:checked");
  return radio ? radio.value : invalid("v_pick");
}

const go = (answer) => {
  const url = new URL(answer.checkout_url);
  if (!/^https?:$/.test(url.protocol)) throw { status: 500 };
  location.assign(url.href);
};

async function thanks(key, vars) {
  await load(true);
  say(key, vars);
}

// name -> [API path, fields {input id: reader}, what to do with the answer]
const ACTIONS = {
  full: ["/customer/checkout", {}, go],
  part: ["/customer/checkout", { amount: ["part-amount", (v) => amountOf(v, kase.pay.part)] }, go],
  plan: ["/customer/plan", { offer_id: ["plan-offers", picked] }, go],
  promise: ["/customer/promise", { pay_by: ["promise-date", dateOf("future")] },
    (_, body) => thanks("okPromise", { d: day(body.pay_by) })],
  paid: ["/customer/already-paid", {
    paid_on: ["paid-date", dateOf("past")], method: ["paid-method", needed], reference: ["paid-ref", needed],
  }, () => thanks("okPaid", { b: kase.broker.name })],
  dispute: ["/customer/dispute", {
    reason: ["dispute-reason", needed], message: ["dispute-message", needed],
    amount: ["dispute-amount", (v) => amountOf(v, false)], file: ["dispute-file", fileOf],
  }, attach],
};

async function attach(answer, body, file) {
  const broker = kase.broker.name;
  if (file) {
    try {
      const post = await call("POST", "/customer/dispute/attachments",
        { dispute_id: answer && answer.dispute_id, content_type: file.type, filename: file.name, size: file.size });
      const form = new FormData();
      for (const k in post.fields || {}) form.append(k, post.fields[k]);
      form.append("file", file);
      const r = await fetch(post.url, { method: "POST", body: form });
      if (!r.ok) throw r;
    } catch (e) {
      if (e.status === 401) throw e;
      return thanks("errUpload", { b: broker });
    }
  }
  return thanks("okDispute", { b: broker });
}

function alertOnly(box, text) {
  box.textContent = text;
  box.classList.add("sr-only");
}

function say(key, vars) {
  for (const d of $$("details")) d.open = false;
  for (const f of $$("#v-case form")) f.reset();
  $("c-msg").textContent = t(key, vars);
  $("c-msg").focus();
}

let busy = false;
async function act(name, box) {
  if (busy) return;
  const [path, fields, then] = ACTIONS[name];
  const body = {}, bad = [];
  let file;
  alertOnly(box, "");
  box.classList.remove("sr-only");
  $("c-msg").textContent = "";
  for (const key in fields) {
    const input = $(fields[key][0]);
    mark(input, "");
    try {
      const value = fields[key][1](input.value == null ? "" : input.value.trim(), input);
      if (key === "file") file = value;
      else if (value !== undefined) body[key] = value;
    } catch (e) {
      mark(input, t(e.key, e.vars));
      bad.push(input);
    }
  }
  if (bad.length) {
    alertOnly(box, $(bad[0].id + "-err").textContent); // shown beside the field; announced from here
    return (bad[0].querySelector("input") || bad[0]).focus();
  }
  busy = true;
  box.parentNode.setAttribute("aria-busy", "true");
  try {
    await then(await call("POST", path, body), body, file);
  } catch (e) {
    await failed(e, name, box, fields);
  } finally {
    busy = false;
    box.parentNode.removeAttribute("aria-busy");
  }
}

async function failed(e, name, box, fields) {
  if (e.status === 401) return linkPage();
  if (e.status === 400 || e.status === 413) {
    const field = e.error.field, input = fields[field] && $(fields[field][0]);
    if (!input) return (box.textContent = t("errInput"));
    mark(input, t(name === "part" && field === "amount" ? "v_part" : field === "pay_by" ? "v_later" : "v_field"));
    alertOnly(box, $(input.id + "-err").textContent);
    return (input.querySelector("input") || input).focus();
  }
  if (e.status === 409) {
    await load(true);
    const code = e.error.code;
    return (box.textContent = t(code === "payment_pending" || code === "payment_in_progress" ? "errPending" : "errConflict"));
  }
  // A route this API does not have yet answers 404 (or, behind API Gateway, a 403 without CORS headers,
  // which the browser reports as a network error): when the case itself still loads, the action is missing.
  if (e.status === 404 || e.status === 403 || e.status === 0) {
    const reachable = await call("GET", "/customer/case").then(() => true, () => false);
    if (reachable) {
      gone.add(name);
      paint();
      return say("errGone", { b: kase.broker.name });
    }
  }
  box.textContent = t(e.status === 0 ? "errNet" : "errServer");
}

async function refreshLink() {
  const btn = $("fresh");
  if (busy) return;
  busy = true;
  let key = "freshSent";
  try {
    await call("POST", "/customer/link-refresh", { token }, false);
  } catch (e) {
    if (e.status >= 500) key = "errServer";
    else if (e.status !== 429) key = "freshNone";
  }
  busy = false;
  if (key !== "errServer") {
    gone.add("fresh");
    btn.hidden = true;
  }
  $("l-msg").textContent = t(key);
  $("l-msg").focus(); // the button it replaces had the focus
}

// --- start ------------------------------------------------------------------------------------------
$("lang").addEventListener("change", async (e) => {
  chosen = true;
  await speak(e.target.value);
  for (const m of $$(".alert, .ok")) m.textContent = "";
  paint();
});
$("pay-full").addEventListener("click", () => act("full", $("full-alert")));
for (const name of ["part", "plan", "promise", "paid", "dispute"]) {
  $("f-" + name).addEventListener("submit", (e) => {
    e.preventDefault();
    act(name, $(name + "-alert"));
  });
}
$("fresh").addEventListener("click", refreshLink);
$("n-retry").addEventListener("click", () => load());
window.addEventListener("hashchange", () => {
  const fresh = take();
  if (fresh) {
    token = fresh;
    load();
  }
});

const path = location.pathname.replace(/\/+$/, "");
paint();
// The reader's own language until the case says which one its customer speaks.
strings(guess).then(() => {
  if (!kase && !chosen) {
    lang = guess;
    paint();
  }
});
if (path.endsWith("/pay/success")) showNote("okTitle", "okText");
else if (path.endsWith("/pay/cancel")) showNote("cancelTitle", "cancelText");
else if (token) load();
else showNote("openTitle", "noToken");
})();
