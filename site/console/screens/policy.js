// Placeholder: the Policy screen is built in its own branch (it replaces this file).
import { html } from "../vendor/htm-preact.js";
import { t } from "../i18n.js";

export default function Policy() {
  return html`<h1 tabindex="-1">${t("nav.policy")}</h1>`;
}
