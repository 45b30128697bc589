import { html } from "../vendor/htm-preact.js";
import { t } from "../i18n.js";

export default function Cases() {
  return html`<h1 tabindex="-1">${t("nav.cases")}</h1>`;
}
