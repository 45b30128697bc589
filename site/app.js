// Placeholder pay page: shows the case behind the link. The full page comes with its own issue.
"use strict";

(function () {
  // The token rides in the fragment (never sent to a server); take it and drop it from the address bar
  // and history. The tab keeps it in sessionStorage so a reload still works.
  var fromHash = location.hash.replace(/^#/, "");
  if (fromHash) {
    sessionStorage.setItem("payToken", fromHash);
    history.replaceState(null, "", location.pathname + location.search);
  }
  var token = fromHash || sessionStorage.getItem("payToken");
  // Another link pasted into this tab only changes the fragment: load the page again for it.
  window.addEventListener("hashchange", function () { location.reload(); });

  function show(id) {
    document.getElementById("loading").hidden = true;
    document.getElementById(id).hidden = false;
  }

  function text(id, value) {
    document.getElementById(id).textContent = value;
  }

  function amount(minor, currency, locale) {
    var format = new Intl.NumberFormat(locale, { style: "currency", currency: currency });
    var digits = format.resolvedOptions().maximumFractionDigits;
    return format.format(minor / Math.pow(10, digits));
  }

  function load() {
    if (!token) return Promise.reject(new Error("no token"));
    return fetch("config.json")
      .then(function (r) { return r.json(); })
      .then(function (config) {
        return fetch(config.api_url + "/customer/case", { headers: { Authorization: "Bearer " + token } });
      })
      .then(function (r) {
        if (!r.ok) throw new Error("status " + r.status);
        return r.json();
      });
  }

  load().then(function (c) {
    var locale = (c.customer && c.customer.locale) || undefined;
    text("invoice-number", c.invoice.number);
    text("broker-name", c.broker.name);
    text("status", c.status.replace(/_/g, " "));
    text("amount-due", amount(c.balance.due, c.balance.currency, locale));
    show("case");
  }).catch(function () {
    sessionStorage.removeItem("payToken");
    show("invalid");
  });
})();
