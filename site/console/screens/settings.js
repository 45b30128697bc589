import { html } from "../vendor/htm-preact.js";
import { t } from "../i18n.js";

export default function Settings() {
  return html`<h1 tabindex="-1">${t("nav.settings")}</h1>`;
}
