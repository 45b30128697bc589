// Lighthouse (desktop) on the console as a broker meets it: the sign-in screen of a fresh visit, then, signed
// in, a full load of Today and of Receivables in the same tab (the session lives in sessionStorage, which
// Lighthouse's storage reset does not clear; disableStorageReset keeps the rest too). Run by bench/lighthouse.sh.
//
//   node lighthouse_console.mjs <console url> <email> <password> <out dir>
import fs from "node:fs";
import puppeteer from "puppeteer-core";
import { startFlow } from "lighthouse";
import desktopConfig from "lighthouse/core/config/desktop-config.js";

const [url, email, password, out] = process.argv.slice(2);
const browser = await puppeteer.launch({ executablePath: process.env.CHROME_PATH, headless: true,
  args: (process.env.FLAGS || "").split(/\s+/).filter((f) => f && f !== "--headless") });
const page = await browser.newPage();
const flags = { onlyCategories: ["performance", "accessibility", "best-practices"], disableStorageReset: true };
const flow = await startFlow(page, { config: desktopConfig, flags, name: "Broker console" });

await flow.navigate(url, { name: "sign-in" });
await page.type("#email", email);
await page.type("#password", password);
await Promise.all([page.waitForSelector("header.top"), page.click("button[type=submit]")]);
await page.waitForFunction(() => document.querySelector("main h1")?.textContent && !document.querySelector("main [role=status]"));

// A new query string makes each a full page load, not a hash change.
for (const screen of ["today", "receivables"]) {
  await flow.navigate(`${url}?lh=${screen}#/${screen}`, { name: screen });
}

const result = await flow.createFlowResult();
fs.writeFileSync(`${out}/console.flow.json`, JSON.stringify(result));
fs.writeFileSync(`${out}/console.flow.html`, await flow.generateReport());
for (const step of result.steps) {
  const lhr = step.lhr;
  const score = (k) => String(Math.round(lhr.categories[k].score * 100)).padStart(3);
  const a = lhr.audits;
  const timing = [["FCP", "first-contentful-paint"], ["LCP", "largest-contentful-paint"], ["TBT", "total-blocking-time"],
    ["CLS", "cumulative-layout-shift"]].map(([label, key]) => `${label} ${a[key].displayValue}`).join(", ");
  console.log(`console ${step.name.padEnd(12)} performance ${score("performance")}  accessibility ${score("accessibility")}  `
    + `best-practices ${score("best-practices")}   (${timing})`);
  const below = Object.values(lhr.categories).flatMap((c) => c.auditRefs)
    .filter((r) => r.weight && a[r.id].score !== null && a[r.id].score < 1).map((r) => r.id);
  if (below.length) console.log(`         below full marks: ${[...new Set(below)].sort().join(", ")}`);
}
await browser.close();
