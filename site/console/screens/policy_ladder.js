// One ladder as an editable table: a row per step (offset, template, stage, channels, actions), the API's
// message for a field shown under that field.
import { html } from "../vendor/htm-preact.js";
import { t } from "../i18n.js";
import { ACTIONS, CHANNELS, STAGES, TEMPLATES, fieldName, newStep } from "./policy_draft.js";

/** The error under an input: its id is what the input's aria-describedby names. */
export function Err({ id, errors, name }) {
  return errors[name] ? html`<p class="err" id=${`${id}-err`}>${errors[name]}</p>` : null;
}

export function invalid(id, errors, name) {
  return errors[name] ? { "aria-invalid": "true", "aria-describedby": `${id}-err` } : {};
}

function toggle(list, item, on) {
  return on ? [...list.filter((x) => x !== item), item] : list.filter((x) => x !== item);
}

export function Ladder({ steps, path, errors, change, caption, prefix = "" }) {
  const base = fieldName(path).replace(/[^\w]+/g, "-");
  const row = (step, i) => {
    const at = [...path, i];
    const id = `${base}-${i}`;
    const name = (key) => fieldName([...at, key]);
    const set = (key) => (e) => change([...at, key], e.target.value);
    const sub = `${prefix}${t("policy.stepN", { n: i + 1 })}`; // a tier's steps are named with their tier
    return html`<tr key=${i}>
      <td><label class="sr-only" for=${`${id}-off`}>${sub}: ${t("policy.offset")}</label>
        <input id=${`${id}-off`} type="number" min="-60" max="365" data-field=${name("offset_days")} value=${step.offset_days}
          onInput=${set("offset_days")} ...${invalid(`${id}-off`, errors, name("offset_days"))} />
        <${Err} id=${`${id}-off`} errors=${errors} name=${name("offset_days")} /></td>
      <td><label class="sr-only" for=${`${id}-tpl`}>${sub}: ${t("policy.template")}</label>
        <select id=${`${id}-tpl`} data-field=${name("template")} value=${step.template} onChange=${set("template")}
          ...${invalid(`${id}-tpl`, errors, name("template"))}>
          ${TEMPLATES.map((v) => html`<option value=${v}>${t(`policy.tpl.${v}`)}</option>`)}</select>
        <${Err} id=${`${id}-tpl`} errors=${errors} name=${name("template")} /></td>
      <td><label class="sr-only" for=${`${id}-stg`}>${sub}: ${t("policy.stage")}</label>
        <select id=${`${id}-stg`} data-field=${name("stage")} value=${step.stage} onChange=${set("stage")}
          ...${invalid(`${id}-stg`, errors, name("stage"))}>
          ${STAGES.map((v) => html`<option value=${v}>${t(`policy.stg.${v}`)}</option>`)}</select>
        <${Err} id=${`${id}-stg`} errors=${errors} name=${name("stage")} /></td>
      <td class="tight"><fieldset class="bare" data-field=${name("channels")}><legend class="sr-only">${sub}: ${t("policy.channels")}</legend>
        ${CHANNELS.map((c) => html`<label class="choice"><input type="checkbox" checked=${step.channels.includes(c)}
          onChange=${(e) => change([...at, "channels"], toggle(step.channels, c, e.target.checked))} />${t(`policy.ch.${c}`)}</label>`)}
        <${Err} id=${`${id}-ch`} errors=${errors} name=${name("channels")} /></fieldset></td>
      <td><fieldset class="bare" data-field=${name("actions")}><legend class="sr-only">${sub}: ${t("policy.actions")}</legend>
        ${ACTIONS.map((a) => html`<label class="choice"><input type="checkbox" checked=${step.actions.includes(a)}
          onChange=${(e) => change([...at, "actions"], toggle(step.actions, a, e.target.checked))} />${t(`policy.act.${a}`)}</label>`)}
        <${Err} id=${`${id}-act`} errors=${errors} name=${name("actions")} /></fieldset></td>
      <td><button type="button" class="quiet" disabled=${steps.length < 2}
        onClick=${() => change(path, steps.filter((_, j) => j !== i))}>${t("policy.remove")}<span class="sr-only"> ${sub}</span></button></td>
    </tr>`;
  };
  return html`<div class="scroll"><table class="steps">
    <caption class="sr-only">${caption}</caption>
    <thead><tr><th scope="col">${t("policy.offset")}</th><th scope="col">${t("policy.template")}</th>
      <th scope="col">${t("policy.stage")}</th><th scope="col">${t("policy.channels")}</th>
      <th scope="col">${t("policy.actions")}</th><th scope="col"><span class="sr-only">${t("policy.remove")}</span></th></tr></thead>
    <tbody>${steps.map(row)}</tbody></table>
    <${Err} id=${base} errors=${errors} name=${fieldName(path)} />
    <button type="button" onClick=${() => change(path, [...steps, newStep(steps)])}>${t("policy.addStep")}</button>
  </div>`;
}
