// Strings, amounts and dates in the reader's language. Strings live in i18n/<lang>.json (the shell's) and
// i18n/<namespace>.<lang>.json (a screen's own, loaded by the router before that screen shows); English fills
// any gap. Amounts use the currency's own exponent, dates the reader's time zone.
import { exponent } from "./currencies.js";

export const LANGS = { en: "English", es: "Español", fr: "Français", de: "Deutsch" };
const CHOICE = "console.lang"; // a preference, not a secret: it may outlive the session

let current = "en";
let strings = {};
let english = {};
const namespaces = new Set();

async function fetchStrings(name) {
  const answer = await fetch(`/console/i18n/${name}.json`);
  return answer.ok ? answer.json() : {};
}

async function bundle(lang) {
  const names = ["", ...namespaces].map((ns) => (ns ? `${ns}.${lang}` : lang));
  const parts = await Promise.all(names.map(fetchStrings));
  return Object.assign({}, ...parts);
}

export function guess() {
  const chosen = localStorage.getItem(CHOICE);
  if (chosen in LANGS) return chosen;
  return navigator.languages.map((n) => n.slice(0, 2)).find((l) => l in LANGS) || "en";
}

export const lang = () => current;

// Formats follow the reader's own variant of the language (en-GB: 30 Nov 2026; en-US: Nov 30, 2026).
const locale = () => navigator.languages.find((n) => n.slice(0, 2) === current) || current;

/** Switch language (loading every namespace in use); `remember` keeps the reader's choice. */
export async function setLang(next, remember = false) {
  const [mine, en] = await Promise.all([bundle(next), next === "en" ? null : bundle("en")]);
  english = en || mine;
  strings = mine;
  current = next;
  document.documentElement.lang = next;
  if (remember) localStorage.setItem(CHOICE, next);
}

/** Load a screen's strings (`case`, `policy`) in the current language and English. */
export async function use(ns) {
  if (!ns || namespaces.has(ns)) return;
  namespaces.add(ns);
  const [mine, en] = await Promise.all([fetchStrings(`${ns}.${current}`),
    current === "en" ? null : fetchStrings(`${ns}.en`)]);
  Object.assign(strings, mine);
  Object.assign(english, en || mine);
}

/** `t("key", {n: 3})`: "{n}" placeholders; a value {one, other} is chosen by Intl plural rules on `n`. */
export function t(key, vars = {}) {
  let s = strings[key] ?? english[key] ?? key;
  if (typeof s === "object") s = s[new Intl.PluralRules(locale()).select(vars.n ?? 0)] ?? s.other;
  return s.replace(/\{(\w+)\}/g, (m, name) => (name in vars ? String(vars[name]) : m));
}

export const has = (key) => key in strings || key in english;

/** Minor units as the exact decimal string Intl formats without going through a float. */
function decimal(amount, digits) {
  const sign = amount < 0 ? "-" : "";
  const units = String(Math.abs(amount)).padStart(digits + 1, "0");
  return digits ? `${sign}${units.slice(0, -digits)}.${units.slice(-digits)}` : `${sign}${units}`;
}

/** `money({amount, currency})`, e.g. "€1,234.50", "¥1,235", "KWD 1.235". */
export function money(value, options = {}) {
  if (!value || value.currency == null) return "";
  const digits = exponent(value.currency);
  return new Intl.NumberFormat(locale(), { style: "currency", currency: value.currency,
    minimumFractionDigits: digits, maximumFractionDigits: digits, ...options }).format(decimal(value.amount, digits));
}

/** A major-unit amount a person typed ("1234.5") as minor units, or null when it is not one. */
export function minorUnits(text, currency) {
  const digits = exponent(currency);
  const match = String(text).trim().replace(",", ".").match(digits ? new RegExp(`^(\\d+)(?:\\.(\\d{1,${digits}}))?$`) : /^(\d+)$/);
  if (!match) return null;
  return Number(match[1]) * 10 ** digits + Number((match[2] || "").padEnd(digits, "0") || 0);
}

export const number = (n, options) => new Intl.NumberFormat(locale(), options).format(n);

/** "2026-11-30" is a calendar day (shown as is); a full ISO time is shown in the reader's time zone. */
export function date(iso, options = { dateStyle: "medium" }) {
  if (!iso) return "";
  const day = /^\d{4}-\d{2}-\d{2}$/.test(iso);
  const when = new Date(day ? `${iso}T00:00:00Z` : iso);
  return new Intl.DateTimeFormat(locale(), day ? { ...options, timeZone: "UTC" } : options).format(when);
}

export const dateTime = (iso) => date(iso, { dateStyle: "medium", timeStyle: "short" });
