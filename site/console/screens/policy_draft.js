// The policy being edited: the API's JSON with what a person types kept as typed, and the two ways between
// them. Anything the API would refuse goes on as typed, so its message for that field is the one shown.
import { exponent } from "../currencies.js";
import { minorUnits } from "../i18n.js";

export const TEMPLATES = ["courtesy", "due_today", "reminder", "formal", "late_fee", "final", "escalation"];
export const STAGES = ["courtesy", "reminder", "formal", "late_fee", "final", "escalation"];
export const CHANNELS = ["email", "sms"];
export const ACTIONS = ["apply_late_fee", "start_interest", "mark_ready_for_collections", "notify_broker"];
export const DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

const int = (text) => (/^-?\d+$/.test(String(text).trim()) ? Number(text) : text);
const text = (n) => (n === null || n === undefined ? "" : String(n));

/** "5.25" (percent) -> 525 basis points. */
function basisPoints(value) {
  const m = String(value).trim().replace(",", ".").match(/^(\d+)(?:\.(\d{1,2}))?$/);
  return m ? Number(m[1]) * 100 + Number((m[2] || "").padEnd(2, "0")) : value;
}
const percent = (bp) => (bp === null || bp === undefined ? "" : String(bp / 100));

function majorUnits(minor, currency) {
  if (minor === null || minor === undefined) return "";
  const digits = exponent(currency);
  return digits ? (minor / 10 ** digits).toFixed(digits) : String(minor);
}
function amount(value, currency) {
  const minor = minorUnits(value, currency);
  return minor === null ? value : minor;
}

const stepDraft = (s) => ({ ...s, offset_days: text(s.offset_days) });
const stepBody = (s) => ({ ...s, offset_days: int(s.offset_days) });

/** The API's policy -> the form's draft (`currency`: the one the fixed amounts are read in). */
export function toDraft(policy, currency) {
  const fee = policy.late_fee, i = policy.interest || {}, c = policy.contact || {}, d = policy.discount;
  return {
    ...policy,
    ladder: policy.ladder.map(stepDraft),
    tiers: (policy.tiers || []).map((tier) => ({ tier: tier.tier, ladder: tier.ladder.map(stepDraft) })),
    contact: { ...c, max_contacts: text(c.max_contacts), per_days: text(c.per_days) },
    late_fee: fee ? { ...fee, fixed_amount: majorUnits(fee.fixed_amount, currency), rate_bp: percent(fee.rate_bp),
      cap: majorUnits(fee.cap, currency), grace_days: text(fee.grace_days) } : null,
    interest: { ...i, rate_bp: percent(i.rate_bp), country: i.country || "" },
    discount: d ? { rate_bp: percent(d.rate_bp), days: text(d.days) } : null,
  };
}

/** The form's draft -> the body PUT /admin/policy and the preview take. */
export function toBody(draft, currency) {
  const fee = draft.late_fee, i = draft.interest, d = draft.discount;
  const body = {
    ...draft,
    ladder: draft.ladder.map(stepBody),
    tiers: draft.tiers.map((tier) => ({ tier: tier.tier, ladder: tier.ladder.map(stepBody) })),
    contact: { ...draft.contact, max_contacts: int(draft.contact.max_contacts), per_days: int(draft.contact.per_days) },
    late_fee: fee ? { kind: fee.kind, fixed_amount: fee.fixed_amount === "" ? 0 : amount(fee.fixed_amount, currency),
      rate_bp: fee.rate_bp === "" ? 0 : basisPoints(fee.rate_bp),
      cap: fee.cap === "" ? null : amount(fee.cap, currency), grace_days: fee.grace_days === "" ? 0 : int(fee.grace_days) }
      : null,
    interest: { ...i, rate_bp: i.rate_bp === "" ? null : basisPoints(i.rate_bp), country: i.country || null },
    discount: d ? { rate_bp: basisPoints(d.rate_bp), days: int(d.days) } : null,
  };
  return body;
}

/** A draft with `value` at `path` (["ladder", 2, "offset_days"]), leaving the rest shared. */
export function setIn(draft, path, value) {
  if (!path.length) return value;
  const [head, ...rest] = path;
  const copy = Array.isArray(draft) ? [...draft] : { ...draft };
  copy[head] = setIn(draft[head], rest, value);
  return copy;
}

/** ["ladder", 2, "offset_days"] -> "ladder[2].offset_days", the API's own name for the field. */
export const fieldName = (path) => path.reduce((name, part) =>
  (typeof part === "number" ? `${name}[${part}]` : name ? `${name}.${part}` : part), "");

export function newStep(ladder) {
  const last = ladder[ladder.length - 1];
  const offset = last ? Number(last.offset_days) + 7 : 0;
  return { offset_days: String(Number.isFinite(offset) ? offset : 0), channels: ["email"], template: "reminder",
    stage: "reminder", actions: [] };
}
