// A walk through ringbook's web UI in the system's headless Chromium, driven by playwright-core.
// Run by tests/web.rs (`browser_walk_through`) against a fresh server:
//   node walk.mjs BASE_URL SETUP_CODE API_KEY SCREENSHOT_DIR
// Exits non-zero with the reason on the first failed step.
import { chromium } from "playwright-core";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createServer } from "node:net";
import { createHmac } from "node:crypto";

const [base, code, key, shots] = process.argv.slice(2);
const password = "correct horse battery";

// What an authenticator app does with the key the account page shows (RFC 4648 base32, RFC 6238 TOTP
// with SHA-1, 30 s, 6 digits), written here apart from ringbook's own code.
function base32(text) {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let acc = 0, bits = 0;
  const out = [];
  for (const c of text.replace(/\s/g, "")) {
    acc = ((acc << 5) | alphabet.indexOf(c)) & 0xffff;
    bits += 5;
    if (bits >= 8) { bits -= 8; out.push((acc >> bits) & 0xff); }
  }
  return Buffer.from(out);
}
function totp(key, unixSeconds) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(unixSeconds / 30)));
  const h = createHmac("sha1", key).update(counter).digest();
  const at = h[h.length - 1] & 0x0f;
  const n = (((h[at] & 0x7f) << 24) | (h[at + 1] << 16) | (h[at + 2] << 8) | h[at + 3]) % 1000000;
  return String(n).padStart(6, "0");
}

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
  acceptDownloads: true,
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

  // Waits for a password meter to show and to say `text` (a string, matched ignoring case, or a
  // regular expression).
  async function meterSays(meter, text, what) {
    try {
      await page.locator(meter + ":not([hidden])", { hasText: text }).waitFor({ timeout: 5000 });
    } catch (e) {
      check(false, what + " (it says: " + (await page.locator(meter).textContent()) + ")");
    }
  }

  // 1. Setup wizard.
  await page.goto(base + "/");
  check(page.url().endsWith("/setup"), "a new box opens the setup wizard");
  await page.fill("input[name=code]", code);
  await page.fill("input[name=name]", "owner");
  // The strength meter grades as the password is typed, with the rule the submit applies.
  await page.fill("input[name=password]", "Willkommen2026");
  await meterSays("#meter-setup", "too easy to guess", "a common word is called too easy to guess while typing");
  await page.fill("input[name=password]", password);
  // (A regular expression: a string would match the refusal's "make a strong password" too.)
  await meterSays("#meter-setup", /^ ?Strong password\.$/, "a passphrase is called strong while typing");
  const bar = await page.locator("#meter-setup meter").evaluate((m) => m.value);
  check(bar === 3, "the meter's bar is full for a strong password: " + bar);
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
  await page.goto(base + "/calls?q=Ada");
  check((await page.locator("#live tr[data-call]").count()) >= 1, "the call log finds the call by the new contact's name");

  // 6. A hostile name is shown as text, never run.
  const evil = "<img src=x onerror=alert(1)>";
  await page.goto(base + "/contacts/new");
  await page.fill("input[name=first_name]", evil);
  await page.click("form.contact button[type=submit]");
  check((await page.locator("h2.contact-name").innerText()).includes(evil), "the hostile name is rendered as text");
  check((await page.locator("img[src=x]").count()) === 0, "no image element was injected");
  await page.goto(base + "/contacts");
  await page.screenshot({ path: join(shots, "contacts.png"), fullPage: true });
  // The export buttons download files (sent from a file the server wrote), with every contact.
  for (const [link, name, has] of [["a[href='/contacts/export.csv']", "contacts.csv", "first_name,"],
    ["a[href='/contacts/export.vcf']", "contacts.vcf", "BEGIN:VCARD"]]) {
    const [file] = await Promise.all([page.waitForEvent("download"), page.click(link)]);
    const text = readFileSync(await file.path(), "utf8");
    check(file.suggestedFilename() === name, "the contact export downloads as " + name + ": " + file.suggestedFilename());
    check(text.includes(has) && text.includes("Ada") && text.includes(evil), name + " holds the contacts, the hostile name as data");
  }

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

  // 9. The live pop-up for an unknown caller: the number, the line and "create contact", which opens
  // the new-contact form prefilled with the number and the employee it rang for.
  await page.goto(base + "/");
  await page.waitForTimeout(500); // the event stream connects
  await event({ event: "ringing", call_id: "ui-2", remote: "+49 30 5550166", line: "+49 30 1234560", extension: "201" });
  const pop = page.locator("#call-pop");
  await pop.waitFor({ state: "visible", timeout: 10000 });
  check((await pop.locator(".who").innerText()).includes("+49305550166"), "the pop-up names the unknown number");
  check((await pop.innerText()).includes("Reception"), "the pop-up names the line");
  const create = pop.locator("a.pop-action[data-type=createRecord]");
  check((await create.count()) === 1 && (await create.innerText()).length > 0, "the pop-up offers to create a contact");
  check((await pop.locator("a.pop-action[data-type=openRecord]").count()) === 0, "an unknown caller has no contact to open");
  await page.waitForSelector("#live tr.ringing >> text=+49305550166", { timeout: 5000 });
  check(new URL(page.url()).pathname === "/", "an unknown caller opens nothing by itself, and rings on the dashboard");
  await page.screenshot({ path: join(shots, "pop-up-unknown.png") });
  await Promise.all([page.waitForNavigation(), create.click()]);
  check(new URL(page.url()).pathname === "/contacts/new", "the create action opens the new-contact form");
  check((await page.inputValue("input[name=phone_number]")).includes("5550166"), "the form is prefilled with the caller's number");
  const evaOption = await page.locator("select[name=responsible] option", { hasText: "Eva" }).getAttribute("value");
  check((await page.inputValue("select[name=responsible]")) === evaOption, "the responsible employee is whoever the call rang for (Eva)");
  await page.screenshot({ path: join(shots, "contact-from-pop-up.png"), fullPage: true });
  await event({ event: "hangup", call_id: "ui-2" });

  // 10. A known caller while the user is typing: the pop-up shows the contact and its open action, and
  // nothing navigates away from the half-filled form; the action opens the contact.
  await page.goto(base + "/calls");
  await page.fill("input[name=q]", "half-typed");
  await page.waitForTimeout(500);
  await event({ event: "ringing", call_id: "ui-3", remote: "+49 30 5550188", line: "+49 30 1234560", extension: "202" });
  await pop.waitFor({ state: "visible", timeout: 10000 });
  check((await pop.locator(".who").innerText()).includes("Grace Hopper (Navy Labs)"), "the pop-up names the known caller and company");
  const open = pop.locator("a.pop-action[data-type=openRecord]");
  check((await open.count()) === 1 && (await open.getAttribute("href")).startsWith("/contacts/"), "the pop-up offers the caller's contact");
  const graceCall = await pop.locator("a.button.secondary[href^='/calls/']").getAttribute("href");
  await page.waitForTimeout(300);
  check(new URL(page.url()).pathname === "/calls" && (await page.inputValue("input[name=q]")) === "half-typed", "the pop-up does not navigate away while the user types");
  await page.screenshot({ path: join(shots, "pop-up-known.png") });
  await Promise.all([page.waitForNavigation(), open.click()]);
  check((await page.locator("h2.contact-name").innerText()).includes("Grace Hopper"), "the open action shows the caller's contact");
  await event({ event: "answered", call_id: "ui-3", extension: "202" });
  await event({ event: "hangup", call_id: "ui-3" });

  // 11. A known caller while the user is idle opens the contact by itself (triggerImmediately, rule "known").
  await page.goto(base + "/");
  await page.waitForTimeout(500);
  await Promise.all([
    page.waitForURL(/\/contacts\/\d+$/, { timeout: 10000 }),
    event({ event: "ringing", call_id: "ui-4", remote: "+49 30 5550144", extension: "202" }),
  ]);
  check((await page.locator("h2.contact-name").innerText()).includes("Alan Turing"), "a known caller's contact opens by itself");
  await event({ event: "hangup", call_id: "ui-4" });

  // 12. The call log finds calls by the contact's name.
  await page.goto(base + "/calls");
  await page.fill("input[name=q]", "hopper");
  await Promise.all([page.waitForNavigation(), page.click("form.filters button[type=submit]")]);
  const found = page.locator("#live tr[data-call]");
  check((await found.count()) === 1 && (await found.innerText()).includes("Grace Hopper"), "a name search lists only that contact's call");
  await page.screenshot({ path: join(shots, "calls-name-search.png"), fullPage: true });
  await page.goto(base + "/calls");
  const listed = await page.locator("#live tr[data-call]").count();
  check(listed >= 4, "without the search every call is listed");
  await page.screenshot({ path: join(shots, "calls.png"), fullPage: true });
  // Its export button downloads the same calls as CSV: a header and one row each.
  const [calls] = await Promise.all([page.waitForEvent("download"), page.click("a[href^='/calls.csv']")]);
  const callsCsv = readFileSync(await calls.path(), "utf8").trim().split("\n");
  check(calls.suggestedFilename() === "calls.csv" && callsCsv[0].startsWith("id,started,direction"), "the call log's export downloads as calls.csv");
  check(callsCsv.length === listed + 1, "calls.csv holds the " + listed + " listed calls: " + callsCsv.length + " lines");

  // 13. The missed-calls worklist: assign one, mark two handled in bulk.
  for (const [id, remote, ext] of [["m-1", "+49 30 5550101", "201"], ["m-2", "+49 30 5550102", "202"], ["m-3", "+49 30 5550103", "201"]]) {
    await event({ event: "ringing", call_id: id, remote, extension: ext });
    await event({ event: "missed", call_id: id });
  }
  await page.goto(base + "/calls/missed");
  const row = (digits) => page.locator("#live tr[data-call]", { hasText: digits });
  check((await row("5550101").count()) === 1 && (await row("5550102").count()) === 1, "the missed calls are on the worklist");
  await row("5550101").locator("select[name=employee]").selectOption({ label: "Max" });
  await Promise.all([page.waitForNavigation(), row("5550101").locator("td.assignee button").click()]);
  check((await row("5550101").locator(".assigned").innerText()) === "Max", "the missed call is assigned to Max");
  await row("5550102").locator("input[type=checkbox]").check();
  await row("5550103").locator("input[type=checkbox]").check();
  await row("5550103").locator("select[name=employee]").selectOption({ label: "Max" });
  // A call elsewhere in the office while the user is choosing: the list waits instead of
  // replacing the ticks and the choice with a fresh copy.
  await event({ event: "ringing", call_id: "m-4", remote: "+49 30 5550104", extension: "202" });
  await page.waitForTimeout(2500);
  check(await row("5550102").locator("input[type=checkbox]").isChecked(), "a live update keeps the ticked boxes");
  check((await row("5550103").locator("select[name=employee] option:checked").innerText()) === "Max", "a live update keeps the chosen employee");
  await row("5550103").locator("select[name=employee]").selectOption({ index: 0 });
  await Promise.all([page.waitForNavigation(), page.click("button[form=bulk]")]);
  check((await row("5550102").locator("input[type=checkbox]").count()) === 0 && (await row("5550103").locator("input[type=checkbox]").count()) === 0, "the two are off the open list");
  check((await row("5550101").locator("input[type=checkbox]").count()) === 1, "the unselected one stays open");
  const closed = page.locator("#live tr", { hasText: "5550102" });
  check((await closed.locator(".badge.handled").innerText()).length > 0 && (await closed.innerText()).includes("owner"), "they are listed as handled in bulk, by owner");
  await page.screenshot({ path: join(shots, "missed.png"), fullPage: true });

  // 14. Integrations: a webhook whose receiver is down shows as a problem with its queue and error,
  // and a stuck row can be skipped.
  const closedPort = await new Promise((res) => { const s = createServer(); s.listen(0, "127.0.0.1", () => { const p = s.address().port; s.close(() => res(p)); }); });
  await page.goto(base + "/settings");
  await page.fill("input[name='sync.webhook.url']", `http://127.0.0.1:${closedPort}/hook`);
  await Promise.all([page.waitForNavigation(), page.click("form[action='/settings'] button[type=submit]")]);
  check((await page.locator(".notice.ok").count()) === 1, "the webhook setting is saved");
  await event({ event: "ringing", call_id: "w-1", remote: "+49 30 5550155", extension: "201" });
  await event({ event: "answered", call_id: "w-1", extension: "201" });
  await event({ event: "hangup", call_id: "w-1" });
  const hook = page.locator("#sync tr[data-connector=webhook]");
  let synced = "";
  for (let i = 0; i < 40; i++) {
    await page.goto(base + "/integrations");
    synced = await hook.innerText();
    if ((await hook.locator(".badge.failed").count()) > 0) break;
    await page.waitForTimeout(500);
  }
  check((await hook.locator(".badge.failed").count()) === 1, "the webhook shows a problem: " + synced);
  check(Number(await hook.locator("td.num").first().innerText()) >= 1, "the webhook's queue is counted: " + synced);
  check(synced.includes(String(closedPort)) || /refused|connect/i.test(synced), "the last error is shown: " + synced);
  await page.screenshot({ path: join(shots, "integrations.png"), fullPage: true });
  const stuck = page.locator("#outbox tr[data-outbox]");
  const before = await stuck.count();
  check(before >= 1, "the failing rows are listed with retry and skip");
  await Promise.all([page.waitForNavigation(), stuck.first().locator("form[action$='/skip'] button").click()]);
  check((await page.locator("#outbox tr[data-outbox]").count()) === before - 1, "a skipped row leaves the list");
  await page.goto(base + "/settings");
  await page.fill("input[name='sync.webhook.url']", "");
  await Promise.all([page.waitForNavigation(), page.click("form[action='/settings'] button[type=submit]")]);

  // 15. Users: an admin adds a staff user for Eva; with web.staff_own_calls_only on she sees only
  // the calls of her own extension.
  await page.click("header.top nav a[href='/users']");
  check(new URL(page.url()).pathname === "/users" && (await page.locator("header.top nav a.active").getAttribute("href")) === "/users", "the navigation leads admins to Users");
  await page.fill("form[action='/users'] input[name=name]", "eva");
  await page.fill("form[action='/users'] input[name=password]", "eva-eva-eva-eva");
  await meterSays("#meter-new", "too easy to guess", "the meter counts the new user's name as guessable");
  await page.fill("form[action='/users'] input[name=password]", "eva's own password");
  await page.selectOption("form[action='/users'] select[name=role]", "staff");
  await page.selectOption("form[action='/users'] select[name=employee]", { label: "Eva" });
  await Promise.all([page.waitForNavigation(), page.click("form[action='/users'] button[type=submit]")]);
  const evaRow = page.locator("#users tr[data-user=eva]");
  check((await evaRow.count()) === 1 && (await evaRow.innerText()).includes("Eva"), "the staff user is listed with her employee");
  await page.screenshot({ path: join(shots, "users.png"), fullPage: true });
  await page.goto(base + "/settings");
  await page.fill("input[name='web.staff_own_calls_only']", "true");
  await Promise.all([page.waitForNavigation(), page.click("form[action='/settings'] button[type=submit]")]);
  check((await page.locator(".notice.ok").count()) === 1, "the own-calls-only setting for staff is saved");
  await page.click("form[action='/logout'] button");
  await page.fill("input[name=name]", "eva");
  await page.fill("input[name=password]", "eva's own password");
  await Promise.all([page.waitForNavigation(), page.click("button[type=submit]")]);
  check((await page.locator("header.top .who").innerText()) === "eva", "the staff user is logged in");
  check((await page.locator("header.top nav a[href='/users'], header.top nav a[href='/settings']").count()) === 0, "staff have no Users or Settings in the navigation");
  await page.goto(base + "/calls");
  const mine = await page.locator("#live tr[data-call]").allInnerTexts();
  check(mine.length >= 3 && mine.every((t) => t.includes("Eva")), "staff see only calls that rang for Eva: " + mine.length);
  check(!mine.some((t) => t.includes("Grace") || t.includes("5550102")), "calls of Max's extension are not listed");
  await page.screenshot({ path: join(shots, "calls-staff.png"), fullPage: true });
  const other = await page.goto(base + graceCall);
  check(other.status() === 404, "another extension's call can't be opened by URL");
  await page.click("form[action='/logout'] button");
  await page.fill("input[name=name]", "owner");
  await page.fill("input[name=password]", password);
  await Promise.all([page.waitForNavigation(), page.click("button[type=submit]")]);

  // 15b. A backup: the passphrase twice, and the browser saves an encrypted file named for the day.
  await page.goto(base + "/settings");
  await page.fill("#backup input[name=passphrase]", "blue tram at nine");
  await meterSays("#meter-backup", /^ ?Strong password\.$/, "the backup passphrase has a meter");
  await page.fill("#backup input[name=passphrase2]", "blue tram at nine");
  const [download] = await Promise.all([page.waitForEvent("download"), page.click("#backup button[type=submit]")]);
  const saved = join(shots, "..", "backup.rbk");
  await download.saveAs(saved);
  check(/^ringbook-backup-\d{4}-\d{2}-\d{2}\.rbk$/.test(download.suggestedFilename()), "the backup is named for the day: " + download.suggestedFilename());
  check(readFileSync(saved).subarray(0, 8).toString() === "RBBACKUP", "the saved backup is encrypted");

  // 16. A phone-sized viewport: nothing is wider than the screen.
  await page.setViewportSize({ width: 390, height: 844 });
  for (const [name, path] of [["dashboard", "/"], ["calls", "/calls"], ["call-detail", new URL(callUrl).pathname], ["missed", "/calls/missed"],
    ["contacts", "/contacts"], ["reports", "/reports"], ["integrations", "/integrations"], ["users", "/users"], ["settings", "/settings"]]) {
    await page.goto(base + path);
    const w = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth }));
    await page.screenshot({ path: join(shots, `${name}-phone.png`), fullPage: true });
    check(w.scroll <= w.client, `${name} fits a 390 px wide phone (${w.scroll} <= ${w.client})`);
  }

  // 17. A second factor: the name at the top opens the account page; scan (read) the key, confirm
  // with a code and the password; the next login asks for the app's code.
  await page.setViewportSize({ width: 1280, height: 800 });
  await Promise.all([page.waitForNavigation(), page.click("header.top a.who")]);
  check(new URL(page.url()).pathname === "/me", "the user's name opens their account page");
  check(await page.locator("svg.qr").isVisible(), "the account page shows a QR code to scan");
  const key = base32(await page.locator("#totp-key").innerText());
  check(key.length === 20, "the key beside it is 160 bits of base32");
  await page.screenshot({ path: join(shots, "account-setup.png"), fullPage: true });
  await page.fill("form[action='/me/2fa'] input[name=code]", totp(key, Date.now() / 1000));
  await page.fill("form[action='/me/2fa'] input[name=password]", password);
  await Promise.all([page.waitForNavigation(), page.click("form[action='/me/2fa'] button[type=submit]")]);
  const recovery = await page.locator("#recovery-codes li code").allInnerTexts();
  check((await page.locator(".notice.ok").count()) === 1 && recovery.length === 10
    && recovery.every((c) => /^[A-Z2-7]{4}(-[A-Z2-7]{4}){3}$/.test(c)), "turning it on shows ten recovery codes");
  await page.screenshot({ path: join(shots, "recovery-codes.png"), fullPage: true });
  await Promise.all([page.waitForNavigation(), page.click("main a.button[href='/me']")]);
  check((await page.locator("#twofa-state[data-on='1']").count()) === 1
    && (await page.locator("#recovery-left").innerText()) === "10", "the second factor is on, with ten codes left");
  await page.screenshot({ path: join(shots, "account.png"), fullPage: true });
  await page.click("form[action='/logout'] button");
  await page.fill("input[name=name]", "owner");
  await page.fill("input[name=password]", password);
  await Promise.all([page.waitForNavigation(), page.click("button[type=submit]")]);
  check(new URL(page.url()).pathname === "/login/code", "after the password, the login asks for the code");
  await page.screenshot({ path: join(shots, "login-code.png") });
  // The code that turned it on is spent; the app's next one is accepted.
  await page.fill("input[name=code]", totp(key, Date.now() / 1000 + 30));
  await Promise.all([page.waitForNavigation(), page.click("button[type=submit]")]);
  check(new URL(page.url()).pathname === "/", "the app's code completes the login");
  // A lost phone: the code step's "Phone lost?" opens a field for a recovery code, which logs in once.
  await page.click("form[action='/logout'] button");
  await page.fill("input[name=name]", "owner");
  await page.fill("input[name=password]", password);
  await Promise.all([page.waitForNavigation(), page.click("button[type=submit]")]);
  check(!(await page.locator("input[name=recovery]").isVisible()), "the recovery field waits behind 'Phone lost?'");
  await page.click("#use-recovery summary");
  await page.fill("input[name=recovery]", recovery[0].toLowerCase());
  await Promise.all([page.waitForNavigation(), page.click("#use-recovery button[type=submit]")]);
  check(new URL(page.url()).pathname === "/me" && (await page.locator("#recovery-left").innerText()) === "9",
    "a recovery code logs in and leads to the account page, with nine codes left");
  await page.screenshot({ path: join(shots, "login-recovered.png"), fullPage: true });
  console.log("all steps passed");
} finally {
  await browser.close();
}
