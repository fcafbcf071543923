// Drives certgate's console page at /_certgate/ in headless Chromium (Debian's package, through
// playwright-core) and checks it against what the caller created with a real AWS client.
//
// Usage: node console.test.mjs <server URL> <expectations.json> <output dir>
// The expectations file lists the certificates the server holds: account, region, id, the status
// the page must show (valid, expiring, expired), description, tags and PEM. The screenshots (the
// viewport, and the full page at each layout width) are saved in the output directory. Exits non-zero, with the reason, on the first failed check.
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { chromium } from "playwright-core";
import { layoutProblems } from "./layout.mjs";
import { countColour, decodePng, distinctColours } from "./png.mjs";

const [url, expectPath, outDir] = process.argv.slice(2);
if (!url || !expectPath || !outDir) {
  console.error("usage: node console.test.mjs <server URL> <expectations.json> <output dir>");
  process.exit(2);
}
const expected = JSON.parse(fs.readFileSync(expectPath, "utf8"));
const certs = expected.certificates;

const VIEWPORT = { width: 1280, height: 800 };
// The layout must hold at the reference width and at a small laptop's, where columns are tightest.
const LAYOUT_WIDTHS = [VIEWPORT.width, 1024];
// The row backgrounds of app.css: expiring and expired rows must be visibly marked.
const EXPIRING_BG = [0xff, 0xf4, 0xdc];
const EXPIRED_BG = [0xfd, 0xe7, 0xe7];

const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), "certgate-chromium-"));
const context = await chromium.launchPersistentContext(userDataDir, {
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  viewport: VIEWPORT,
  acceptDownloads: true,
  args: [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
  ],
});

let failed = false;
try {
  const page = context.pages()[0] || (await context.newPage());
  const consoleErrors = [];
  page.on("console", (m) => { if (m.type() === "error") consoleErrors.push(m.text()); });
  page.on("pageerror", (e) => consoleErrors.push(String(e)));

  await page.goto(`${url}/_certgate/`);
  await page.waitForSelector("body[data-loaded=true]");
  assert.equal(await page.locator("#error").isHidden(), true, "the page reports a load error");

  // One section per account and region, one row per certificate, nothing more.
  const scopes = new Set(certs.map((c) => `${c.account}/${c.region}`));
  assert.equal(await page.locator("section.scope").count(), scopes.size, "sections per account/region");
  assert.equal(await page.locator("tbody tr").count(), certs.length, "rows");
  for (const c of certs) {
    const section = page.locator(`section.scope[data-account="${c.account}"][data-region="${c.region}"]`);
    assert.equal(await section.count(), 1, `section ${c.account}/${c.region}`);
    const row = section.locator(`tr[data-id="${c.id}"]`);
    assert.equal(await row.count(), 1, `row of ${c.id}`);
    assert.equal(await row.getAttribute("data-status"), c.status, `status of ${c.id}`);
    assert.equal(await row.locator("td.description").textContent(), c.description ?? "none", `description of ${c.id}`);
    const tagTexts = await row.locator("td.tags .tag").allTextContents();
    assert.deepEqual(tagTexts, Object.entries(c.tags).map(([k, v]) => `${k}=${v}`), `tags of ${c.id}`);
    const days = await row.locator("td.days").textContent();
    if (c.status === "valid") {
      assert.match(days, /^36[45] days$/, `days left of ${c.id}`);
      assert.equal(await row.locator(".badge").count(), 0, `no badge on ${c.id}`);
    } else {
      assert.equal(await row.locator(".badge").textContent(), c.status, `badge of ${c.id}`);
      if (c.status === "expiring") assert.match(days, /^1[45] days/, `days left of ${c.id}`);
      if (c.status === "expired") assert.match(days, /^expired 3[45] days ago/, `days of ${c.id}`);
    }
  }
  const summary = page.locator("#summary");
  const nExpiring = certs.filter((c) => c.status === "expiring").length;
  const nExpired = certs.filter((c) => c.status === "expired").length;
  assert.equal(await summary.getAttribute("data-expiring"), String(nExpiring), "summary: expiring");
  assert.equal(await summary.getAttribute("data-expired"), String(nExpired), "summary: expired");

  // A description carrying markup is shown as text and creates no element.
  assert.equal(await page.locator("td.description img, td.description b, td.description script").count(), 0,
    "markup in a description became DOM");

  // The PEM download gives exactly the certificate, under its id's name, and no key.
  const target = certs.find((c) => c.status === "expiring") || certs[0];
  const link = page.locator(`tr[data-id="${target.id}"] a.pem`);
  const [download] = await Promise.all([page.waitForEvent("download"), link.click()]);
  assert.equal(download.suggestedFilename(), `${target.id}.pem`, "download file name");
  const saved = path.join(outDir, download.suggestedFilename());
  await download.saveAs(saved);
  const pem = fs.readFileSync(saved, "utf8");
  assert.equal(pem, target.pem, "downloaded PEM");
  assert.ok(!pem.includes("PRIVATE KEY"), "a private key in the download");

  // Choosing an account shows only that account's certificates.
  const oneAccount = certs[certs.length - 1].account;
  await page.selectOption("#account", oneAccount);
  const shown = await page.locator("tbody tr").count();
  assert.equal(shown, certs.filter((c) => c.account === oneAccount).length, "rows after the account filter");
  await page.selectOption("#account", "");
  assert.equal(await page.locator("tbody tr").count(), certs.length, "rows after clearing the filter");

  // No cell of any row overlaps another or overflows, at each width. The full-page screenshot of
  // each width is taken first, so that a failure leaves a picture of it.
  const layoutShots = [];
  for (const width of LAYOUT_WIDTHS) {
    await page.setViewportSize({ width, height: VIEWPORT.height });
    const widthShot = path.join(outDir, `console-${width}.png`);
    await page.screenshot({ path: widthShot, fullPage: true });
    layoutShots.push(widthShot);
    const problems = await layoutProblems(page);
    assert.equal(problems.length, 0, `layout at ${width}x${VIEWPORT.height}: ` +
      `${problems.length} overlap(s) or overflow(s):\n${problems.slice(0, 12).join("\n")}`);
  }
  await page.setViewportSize(VIEWPORT);

  // The screenshot: the viewport's size, not blank, and the expiry highlights really painted.
  const shot = path.join(outDir, "console.png");
  await page.screenshot({ path: shot });
  const image = decodePng(fs.readFileSync(shot));
  assert.equal(image.width, VIEWPORT.width, "screenshot width");
  assert.equal(image.height, VIEWPORT.height, "screenshot height");
  const colours = distinctColours(image);
  assert.ok(colours > 50, `screenshot looks blank: ${colours} colours`);
  if (nExpiring) assert.ok(countColour(image, EXPIRING_BG) > 1000, "no expiring highlight painted");
  if (nExpired) assert.ok(countColour(image, EXPIRED_BG) > 1000, "no expired highlight painted");

  assert.deepEqual(consoleErrors, [], "errors in the browser console");
  console.log(JSON.stringify({
    ok: true,
    rows: certs.length,
    screenshot: shot,
    screenshotBytes: fs.statSync(shot).size,
    layoutScreenshots: layoutShots,
    colours,
    expiringPixels: countColour(image, EXPIRING_BG),
    expiredPixels: countColour(image, EXPIRED_BG),
  }));
} catch (e) {
  failed = true;
  console.error(e && e.stack ? e.stack : String(e));
} finally {
  await context.close();
  fs.rmSync(userDataDir, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
