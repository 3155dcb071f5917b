// A walk through ringbook's web UI in the system's headless Chromium, driven by playwright-core.
// Run by tests/web.rs (`browser_walk_through`) against a fresh server:
//   node walk.mjs BASE_URL SETUP_CODE API_KEY SCREENSHOT_DIR
// Exits non-zero with the reason on the first failed step.
import { chromium } from "playwright-core";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const [base, code, key, shots] = process.argv.slice(2);
const password = "correct horse battery";

function check(cond, what) {
  if (!cond) throw new Error("failed: " + what);
  console.log("ok: " + what);
}

async function event(body) {
  const r = await fetch(base + "/api/v1/events", {
    method: "POST",
    headers: { "Authorization": "Bearer " + key, "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  if (r.status !== 200) throw new Error("event refused: " + (await r.text()));
}

const browser = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), "ringbook-ui-")), {
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  viewport: { width: 1280, height: 800 },
});
try {
  await browser.grantPermissions(["notifications"], { origin: base });
  // Record notifications instead of showing them; keep the instances so a click can be simulated.
  await browser.addInitScript(() => {
    const Real = window.Notification;
    window.__notes = [];
    class Recorded {
      constructor(title, opts) { this.title = title; this.body = (opts || {}).body; window.__notes.push(this); }
      close() {}
      static get permission() { return Real ? Real.permission : "granted"; }
      static requestPermission() { return Promise.resolve("granted"); }
    }
    window.Notification = Recorded;
  });
  const page = browser.pages()[0] || (await browser.newPage());
  page.on("dialog", (d) => { throw new Error("unexpected dialog: " + d.message()); });

  // 1. Setup wizard.
  await page.goto(base + "/");
  check(page.url().endsWith("/setup"), "a new box opens the setup wizard");
  await page.fill("input[name=code]", code);
  await page.fill("input[name=name]", "owner");
  await page.fill("input[name=password]", password);
  await page.screenshot({ path: join(shots, "setup.png") });
  await page.click("button[type=submit]");
  check(page.url().endsWith("/setup/office"), "the admin is created and the office step follows");
  await page.fill("input[name='number.area_code']", "30");
  await page.fill("input[name='number.outside_prefix']", "0");
  await page.fill("input[name=line0_number]", "030 1234560");
  await page.fill("input[name=line0_name]", "Reception");
  await page.screenshot({ path: join(shots, "setup-office.png"), fullPage: true });
  await page.click("form[action='/setup/office'] button[type=submit]");
  check(new URL(page.url()).pathname === "/", "setup ends on the dashboard");

  // 2. Logout and login.
  await page.click("form[action='/logout'] button");
  check(page.url().includes("/login"), "logout leads to the login page");
  await page.fill("input[name=name]", "owner");
  await page.fill("input[name=password]", password);
  await page.click("button[type=submit]");
  check(new URL(page.url()).pathname === "/", "login works");

  // 3. An incoming call raises a notification; clicking it opens the call.
  await page.waitForTimeout(500); // the event stream connects
  await event({ event: "ringing", call_id: "ui-1", remote: "+49 30 5550177", line: "+49 30 1234560", extension: "21" });
  await page.waitForFunction(() => window.__notes.length > 0, null, { timeout: 10000 });
  const note = await page.evaluate(() => ({ title: window.__notes[0].title, body: window.__notes[0].body }));
  check(note.title.includes("+49305550177") && note.body.includes("Reception"), "the notification names the number and line: " + JSON.stringify(note));
  await page.waitForSelector("#live td >> text=+49305550177", { timeout: 5000 });
  check(true, "the dashboard updated live");
  await page.screenshot({ path: join(shots, "dashboard.png"), fullPage: true });
  await page.evaluate(() => window.__notes[0].onclick());
  await page.waitForURL(/\/calls\/\d+$/);
  check(true, "clicking the notification opens the call");
  const callUrl = page.url();

  // 4. Comment and mark handled after the call ended.
  check((await page.locator("#mark-handled").count()) === 0, "a ringing call can't be marked handled");
  await event({ event: "hangup", call_id: "ui-1" });
  await page.goto(callUrl);
  await page.fill("textarea[name=body]", "Wants a quote by Friday");
  await Promise.all([page.waitForNavigation(), page.click("form:has(textarea[name=body]) button")]);
  check((await page.locator("#comments li").innerText()).includes("Wants a quote by Friday"), "the comment is shown with its author");
  await Promise.all([page.waitForNavigation(), page.click("#mark-handled")]);
  check((await page.locator(".badge.handled").count()) > 0, "the call is handled");

  // 5. Create a contact from the unknown caller.
  await page.click("#create-contact");
  check((await page.inputValue("input[name=phone_number]")).includes("5550177"), "the new contact is prefilled with the number");
  await page.fill("input[name=first_name]", "Ada");
  await page.fill("input[name=company]", "Lovelace Ltd");
  await page.click("form.contact button[type=submit]");
  check(page.url() === callUrl, "back on the call after creating the contact");
  check((await page.locator(".panel a[href^='/contacts/']:has-text('Ada')").count()) > 0, "the call now shows the new contact");
  await page.screenshot({ path: join(shots, "call-detail.png"), fullPage: true });

  // 6. A hostile name is shown as text, never run.
  const evil = "<img src=x onerror=alert(1)>";
  await page.goto(base + "/contacts/new");
  await page.fill("input[name=first_name]", evil);
  await page.click("form.contact button[type=submit]");
  check((await page.locator("h2.contact-name").innerText()).includes(evil), "the hostile name is rendered as text");
  check((await page.locator("img[src=x]").count()) === 0, "no image element was injected");
  await page.goto(base + "/contacts");
  await page.screenshot({ path: join(shots, "contacts.png"), fullPage: true });

  // 7. A form without its CSRF token is refused.
  await page.goto(base + "/contacts/new");
  await page.evaluate(() => document.querySelector("form.contact input[name=csrf]").remove());
  await page.fill("input[name=company]", "Forged GmbH");
  const [resp] = await Promise.all([page.waitForNavigation(), page.click("form.contact button[type=submit]")]);
  check(resp.status() === 403, "a form without its CSRF token is refused (403)");

  // 8. The report's chart renders.
  await page.goto(base + "/reports");
  const bars = await page.locator("#report-chart rect").evaluateAll((rs) => rs.filter((r) => r.getBBox().width > 0).length);
  check(bars > 0, "the weekly report's SVG chart has bars");
  await page.screenshot({ path: join(shots, "reports.png"), fullPage: true });

  await page.goto(base + "/calls");
  await page.screenshot({ path: join(shots, "calls.png"), fullPage: true });
  await page.goto(base + "/calls/missed");
  await page.screenshot({ path: join(shots, "missed.png"), fullPage: true });
  await page.goto(base + "/integrations");
  await page.screenshot({ path: join(shots, "integrations.png"), fullPage: true });

  // 9. Phone-sized viewport.
  await page.setViewportSize({ width: 375, height: 740 });
  await page.goto(base + "/calls");
  await page.screenshot({ path: join(shots, "calls-phone.png"), fullPage: true });
  await page.goto(callUrl);
  await page.screenshot({ path: join(shots, "call-detail-phone.png"), fullPage: true });
  console.log("all steps passed");
} finally {
  await browser.close();
}
