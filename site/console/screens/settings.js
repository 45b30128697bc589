// Settings: the sender and contact details reminders carry, the staff and their roles, API keys, and the
// partners cases can be escalated to.
// Owners change them; everyone else reads the sender details only (the API refuses them the rest).
import { html, useEffect, useRef, useState } from "../vendor/htm-preact.js";
import { api } from "../api.js";
import { date, number, t } from "../i18n.js";
import { Confirm, ErrorNote, Field, Loading, Title, useAction, useApi } from "../ui.js";

const SENDER = [["name", "text", "organization"], ["email", "email", "email"], ["phone", "tel", "tel"],
  ["reply_to", "email", "off"], ["sender_name", "text", "off"], ["website", "url", "url"]];
const ROLES = ["owner", "collector", "viewer"];
const KINDS = ["collection_agency", "law_firm", "mediator"];

function Sender({ own }) {
  const { data, error, loading, reload } = useApi("/admin/settings");
  const [form, setForm] = useState(null);
  const [saved, setSaved] = useState(false);
  const save = useAction();
  useEffect(() => { if (data) setForm(data); }, [data]);
  const set = (key) => (e) => { setSaved(false); setForm({ ...form, [key]: e.target.value }); };
  const submit = async (e) => {
    e.preventDefault();
    const body = Object.fromEntries(Object.entries(form).filter(([k, v]) =>
      (k === "name" || k === "email" || v) && [...SENDER.map((f) => f[0]), "address"].includes(k)));
    if (body.phone) body.phone = body.phone.replace(/[\s().-]/g, ""); // "+34 600 12 34 56" is E.164 once spaced out
    const answer = await save.run(() => api("/admin/settings", { method: "PUT", body }));
    if (answer) { setForm(answer); setSaved(true); }
  };
  return html`<section aria-labelledby="s-sender">
    <h2 id="s-sender">${t("set.sender")}</h2>
    <p class="muted">${t("set.senderHint")}</p>
    <${ErrorNote} error=${error} retry=${reload} />
    ${loading && !data && html`<${Loading} />`}
    ${form && !own && html`<dl class="facts">${[...SENDER.map((f) => f[0]), "address"].map((k) => html`
      <dt>${t(`set.${k}`)}</dt><dd>${form[k] || "–"}</dd>`)}</dl>`}
    ${form && own && html`<form onSubmit=${submit} class="grid2" novalidate>
      ${SENDER.map(([k, type, auto]) => html`<${Field} id=${`s-${k}`} name=${k} label=${t(`set.${k}`)} type=${type}
        autocomplete=${auto} value=${form[k] || ""} onInput=${set(k)} error=${save.error}
        hint=${k === "phone" ? t("set.phoneHint") : undefined} required=${k === "name" || k === "email"} />`)}
      <${Field} as="textarea" id="s-address" name="address" label=${t("set.address")} rows="3"
        value=${form.address || ""} onInput=${set("address")} error=${save.error} />
      <div class="wide">
        <${ErrorNote} error=${save.error} />
        ${saved && html`<p class="ok" role="status">${t("set.saved")}</p>`}
        <button type="submit" class="primary" disabled=${save.busy}>${t("set.save")}</button>
      </div>
    </form>`}
  </section>`;
}

function StaffRow({ user, me, reload }) {
  const [role, setRole] = useState(user.role);
  const action = useAction();
  const self = user.id === me.user.id;
  const change = async () => {
    if (await action.run(() => api(`/admin/users/${encodeURIComponent(user.id)}`, { method: "PATCH", body: { role } }))) reload();
  };
  const remove = async () => {
    if ((await action.run(() => api(`/admin/users/${encodeURIComponent(user.id)}`, { method: "DELETE" }))) !== undefined) reload();
  };
  // A member who lost their authenticator app signs in with their password again, and may set up a new one.
  const resetMfa = async () => {
    if (await action.run(() => api(`/admin/users/${encodeURIComponent(user.id)}/mfa`, { method: "DELETE" }))) reload();
  };
  return html`<tr data-user=${user.email}>
    <th scope="row">${user.name}<span class="sub">${user.email}</span></th>
    <td>${t(`set.status.${user.status}`)}${user.mfa ? html` <span class="pill">${t("set.mfa")}</span>` : ""}</td>
    <td>${self ? t(`role.${user.role}`) : html`<label class="sr-only" for=${`role-${user.id}`}>
        ${t("set.roleOf", { name: user.name })}</label>
      <select id=${`role-${user.id}`} value=${role} onChange=${(e) => setRole(e.target.value)}>
        ${ROLES.map((r) => html`<option value=${r}>${t(`role.${r}`)}</option>`)}</select>
      ${role !== user.role && html` <button type="button" onClick=${change} disabled=${action.busy}>
        ${t("set.changeRole")}</button>`}`}</td>
    <td>${!self && user.mfa && html`<${Confirm} label=${t("set.resetMfa")}
        confirm=${t("set.resetMfaConfirm", { name: user.name })} onConfirm=${resetMfa} busy=${action.busy} /> `}
      ${!self && html`<${Confirm} label=${t("set.remove")} confirm=${t("set.removeConfirm", { name: user.name })}
      onConfirm=${remove} busy=${action.busy} />`}
      <${ErrorNote} error=${action.error} /></td>
  </tr>`;
}

function Staff({ me }) {
  const { data, error, loading, reload } = useApi("/admin/users");
  const [form, setForm] = useState({ email: "", name: "", role: "collector" });
  const [invited, setInvited] = useState(null);
  const invite = useAction();
  const set = (key) => (e) => setForm({ ...form, [key]: e.target.value });
  const submit = async (e) => {
    e.preventDefault();
    const user = await invite.run(() => api("/admin/users", { method: "POST",
      body: { email: form.email.trim(), name: form.name.trim(), role: form.role } }));
    if (user) { setInvited(user.email); setForm({ email: "", name: "", role: "collector" }); reload(); }
  };
  return html`<section aria-labelledby="s-staff">
    <h2 id="s-staff">${t("set.staff")}</h2>
    <${ErrorNote} error=${error} retry=${reload} />
    ${loading && !data && html`<${Loading} />`}
    ${data && html`<table class="list" id="staff">
      <thead><tr><th scope="col">${t("set.person")}</th><th scope="col">${t("set.state")}</th>
        <th scope="col">${t("set.role")}</th><th scope="col"><span class="sr-only">${t("set.actions")}</span></th></tr></thead>
      <tbody>${data.items.map((u) => html`<${StaffRow} key=${u.id} user=${u} me=${me} reload=${reload} />`)}</tbody>
    </table>`}
    <h3 id="s-invite">${t("set.invite")}</h3>
    <form class="inline" onSubmit=${submit} aria-labelledby="s-invite" novalidate>
      <${Field} id="i-name" name="name" label=${t("set.name")} value=${form.name} onInput=${set("name")} required
        autocomplete="off" error=${invite.error} />
      <${Field} id="i-email" name="email" type="email" label=${t("set.email")} value=${form.email} required
        onInput=${set("email")} autocomplete="off" error=${invite.error} />
      <div class="field"><label for="i-role">${t("set.role")}</label>
        <select id="i-role" value=${form.role} onChange=${set("role")}>
          ${ROLES.map((r) => html`<option value=${r}>${t(`role.${r}`)}</option>`)}</select></div>
      <button type="submit" class="primary" disabled=${invite.busy}>${t("set.sendInvite")}</button>
    </form>
    <${ErrorNote} error=${invite.error} />
    ${invited && html`<p class="ok" role="status">${t("set.invited", { email: invited })}</p>`}
  </section>`;
}

function Keys() {
  const { data, error, loading, reload } = useApi("/admin/api-keys");
  const [name, setName] = useState("");
  const [created, setCreated] = useState(null);
  const create = useAction();
  const revoke = useAction();
  const shown = useRef(null);
  useEffect(() => { if (created) shown.current?.focus(); }, [created]);
  const submit = async (e) => {
    e.preventDefault();
    const key = await create.run(() => api("/admin/api-keys", { method: "POST", body: { name: name.trim() } }));
    if (key) { setCreated(key); setName(""); reload(); }
  };
  const drop = async (id) => {
    if ((await revoke.run(() => api(`/admin/api-keys/${encodeURIComponent(id)}`, { method: "DELETE" }))) !== undefined) reload();
  };
  const copy = () => navigator.clipboard?.writeText(created.api_key);
  return html`<section aria-labelledby="s-keys">
    <h2 id="s-keys">${t("set.keys")}</h2>
    <p class="muted">${t("set.keysHint")}</p>
    <${ErrorNote} error=${error} retry=${reload} />
    ${created && html`<div class="secret" tabindex="-1" ref=${shown} role="status" aria-labelledby="k-once">
      <p id="k-once"><strong>${t("set.keyOnce", { name: created.name })}</strong></p>
      <p><code id="new-key">${created.api_key}</code></p>
      <button type="button" onClick=${copy}>${t("set.copy")}</button>
      <button type="button" class="quiet" onClick=${() => setCreated(null)}>${t("set.keySaved")}</button>
    </div>`}
    ${loading && !data && html`<${Loading} />`}
    ${data && (data.items.length ? html`<table class="list" id="keys">
      <thead><tr><th scope="col">${t("set.keyName")}</th><th scope="col">${t("set.hint")}</th>
        <th scope="col">${t("set.created")}</th><th scope="col">${t("set.lastUsed")}</th>
        <th scope="col"><span class="sr-only">${t("set.actions")}</span></th></tr></thead>
      <tbody>${data.items.map((k) => html`<tr key=${k.key_id} data-key=${k.name}>
        <th scope="row">${k.name}</th><td><code>…${k.hint}</code></td><td>${date(k.created_at)}</td>
        <td>${k.last_used_at ? date(k.last_used_at) : t("set.never")}</td>
        <td><${Confirm} label=${t("set.revoke")} confirm=${t("set.revokeConfirm", { name: k.name })}
          onConfirm=${() => drop(k.key_id)} busy=${revoke.busy} /></td></tr>`)}</tbody>
    </table>` : html`<p>${t("set.noKeys")}</p>`)}
    <${ErrorNote} error=${revoke.error} />
    <h3 id="s-newkey">${t("set.newKey")}</h3>
    <form class="inline" onSubmit=${submit} aria-labelledby="s-newkey" novalidate>
      <${Field} id="k-name" name="name" label=${t("set.keyName")} value=${name} onInput=${(e) => setName(e.target.value)}
        required autocomplete="off" hint=${t("set.keyNameHint")} error=${create.error} />
      <button type="submit" class="primary" disabled=${create.busy}>${t("set.createKey")}</button>
    </form>
    <${ErrorNote} error=${create.error} />
  </section>`;
}

const NO_PARTNER = { kind: "collection_agency", name: "", email: "", fee: "" };

function Partners() {
  const { data, error, loading, reload } = useApi("/admin/partners");
  const [form, setForm] = useState(NO_PARTNER);
  const [added, setAdded] = useState(null);
  const add = useAction();
  const remove = useAction();
  const set = (key) => (e) => setForm({ ...form, [key]: e.target.value });
  const submit = async (e) => {
    e.preventDefault();
    const body = { kind: form.kind, name: form.name.trim(), email: form.email.trim() };
    // The form takes a percentage; the API keeps basis points (15 % = 1500).
    if (form.fee.trim()) body.fee_bp = Math.round(Number(form.fee.replace(",", ".")) * 100);
    const partner = await add.run(() => api("/admin/partners", { method: "POST", body }));
    if (partner) { setAdded(partner.name); setForm(NO_PARTNER); reload(); }
  };
  const drop = async (id) => {
    if ((await remove.run(() => api(`/admin/partners/${encodeURIComponent(id)}`, { method: "DELETE" }))) !== undefined) reload();
  };
  return html`<section aria-labelledby="s-partners">
    <h2 id="s-partners">${t("set.partners")}</h2>
    <p class="muted">${t("set.partnersHint")}</p>
    <${ErrorNote} error=${error} retry=${reload} />
    ${loading && !data && html`<${Loading} />`}
    ${data && (data.items.length ? html`<table class="list" id="partners">
      <thead><tr><th scope="col">${t("set.partner")}</th><th scope="col">${t("set.kind")}</th>
        <th scope="col" class="num">${t("set.fee")}</th>
        <th scope="col"><span class="sr-only">${t("set.actions")}</span></th></tr></thead>
      <tbody>${data.items.map((p) => html`<tr key=${p.partner_id} data-partner=${p.name}>
        <th scope="row">${p.name}<span class="sub">${p.email}</span></th><td>${t(`set.kind.${p.kind}`)}</td>
        <td class="num">${number(p.fee_bp / 10_000, { style: "percent", maximumFractionDigits: 2 })}</td>
        <td><${Confirm} label=${t("set.remove")} confirm=${t("set.removeConfirm", { name: p.name })}
          onConfirm=${() => drop(p.partner_id)} busy=${remove.busy} /></td></tr>`)}</tbody>
    </table>` : html`<p>${t("set.noPartners")}</p>`)}
    <${ErrorNote} error=${remove.error} />
    <h3 id="s-newpartner">${t("set.addPartner")}</h3>
    <form class="inline" onSubmit=${submit} aria-labelledby="s-newpartner" novalidate>
      <div class="field"><label for="p-kind">${t("set.kind")}</label>
        <select id="p-kind" value=${form.kind} onChange=${set("kind")}>
          ${KINDS.map((k) => html`<option value=${k}>${t(`set.kind.${k}`)}</option>`)}</select></div>
      <${Field} id="p-name" name="name" label=${t("set.partnerName")} value=${form.name} onInput=${set("name")} required
        autocomplete="off" error=${add.error} />
      <${Field} id="p-email" name="email" type="email" label=${t("set.partnerEmail")} value=${form.email} required
        onInput=${set("email")} autocomplete="off" error=${add.error} />
      <${Field} id="p-fee" name="fee_bp" label=${t("set.fee")} value=${form.fee} onInput=${set("fee")}
        inputmode="decimal" autocomplete="off" error=${add.error} />
      <button type="submit" class="primary" disabled=${add.busy}>${t("set.add")}</button>
    </form>
    <${ErrorNote} error=${add.error} />
    ${added && html`<p class="ok" role="status">${t("set.partnerAdded", { name: added })}</p>`}
  </section>`;
}

export default function Settings({ me }) {
  const own = me.permissions.own;
  return html`<${Title}>${t("nav.settings")}<//>
    <${Sender} own=${own} />
    ${own && html`<${Staff} me=${me} /><${Keys} /><${Partners} />`}`;
}
