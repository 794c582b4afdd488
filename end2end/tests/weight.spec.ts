import { expect, test, type APIRequestContext, type Browser, type Page, type Response } from "@playwright/test";
import { password } from "./signin";

// What a first visit costs: the bytes the browser downloads for a page (the
// page, its wasm, JS and CSS, and the server-function calls it makes) and
// how long until it answers a click. Each visit is a fresh browser context,
// signed in without opening a page, so nothing is cached yet. The numbers
// are printed, for BENCHMARKS.md; what is asserted is how files are served.
const PORT = Number(process.env.SPACEPORT_E2E_PORT ?? 3100);
const BASE = `http://127.0.0.1:${PORT}`;
const SIM = `http://127.0.0.1:${PORT + 1}/_sim`;
const AS_AWS = { Authorization: `Bearer ${process.env.SPACEPORT_E2E_TOKEN ?? ""}` };
const SPACE = "acme-prod-tokyo";
const ADDON_SPACE = "spaces-peering-example";
const ADDON = "redis-sushi-12345";

type Visit = { page: Page; files: Response[]; bytes: () => Promise<Record<string, number>> };

/** Signs in through the form's endpoint, without opening a page. */
async function signIn(request: APIRequestContext, role: "viewer" | "operator") {
  const res = await request.post("/signin", {
    form: { name: `e2e-${role}`, password: password(role), next: "/" },
    maxRedirects: 0,
  });
  expect(res.status()).toBe(303);
}

/** A new context signed in, and a page in it. */
async function firstVisit(browser: Browser): Promise<Visit> {
  const context = await browser.newContext({ baseURL: BASE });
  await signIn(context.request, "operator");
  const page = await context.newPage();
  const responses: Response[] = [];
  page.on("response", (r) => responses.push(r));
  const bytes = async () => {
    const by: Record<string, number> = { total: 0, wasm: 0, js: 0, css: 0, page: 0, calls: 0 };
    for (const r of responses) {
      const sizes = await r.request().sizes();
      const n = sizes.responseBodySize + sizes.responseHeadersSize;
      const path = new URL(r.url()).pathname;
      const kind = path.endsWith(".wasm")
        ? "wasm"
        : path.endsWith(".js")
          ? "js"
          : path.endsWith(".css")
            ? "css"
            : path.startsWith("/api/")
              ? "calls"
              : "page";
      by[kind] += n;
      by.total += n;
    }
    return by;
  };
  return { page, files: responses, bytes };
}

/** Since navigation started: the page's last byte, the wasm's, and hydration. */
async function milestones(page: Page, hydrated: number) {
  return page.evaluate((hydrated) => {
    const nav = performance.getEntriesByType("navigation")[0] as PerformanceNavigationTiming;
    const wasm = performance
      .getEntriesByType("resource")
      .find((e) => e.name.endsWith(".wasm")) as PerformanceResourceTiming | undefined;
    const ready = performance.getEntriesByName("spaceport-wasm-ready")[0]?.startTime ?? NaN;
    return `page ${nav.responseEnd.toFixed(0)} ms, wasm ${wasm?.responseEnd.toFixed(0)} ms, compiled ${ready.toFixed(0)} ms, hydrated ${hydrated.toFixed(0)} ms`;
  }, hydrated);
}

/**
 * Notes, by the page's clock, the first click and when a dialog first
 * enters the page: the time between them is the console's own, without
 * the test runner's latency in delivering the click.
 */
async function watchForDialog(page: Page) {
  await page.addInitScript(() => {
    const w = window as unknown as { clickAt?: number; dialogAt?: number };
    document.addEventListener("click", (e) => (w.clickAt ??= e.timeStamp), { capture: true });
    new MutationObserver(() => {
      if (w.dialogAt === undefined && document.querySelector('[role="dialog"]')) w.dialogAt = performance.now();
    }).observe(document, { childList: true, subtree: true });
  });
}

/** Waits for hydration; when it was, by the page's clock (to a frame). */
async function hydration(page: Page): Promise<number> {
  await page.waitForFunction(() => document.body.hasAttribute("data-hydrated"), null, { polling: "raf" });
  // When the page marked it, by its own clock: the runner's polling and
  // round trip are not the console's.
  return page.evaluate(() => performance.getEntriesByName("spaceport-hydrated")[0].startTime);
}

function report(name: string, ms: number, bytes: Record<string, number>, when: string) {
  const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
  console.log(
    `${name}: ${ms.toFixed(0)} ms (${when}); downloaded ${kb(bytes.total)} ` +
      `(wasm ${kb(bytes.wasm)}, js ${kb(bytes.js)}, css ${kb(bytes.css)}, page ${kb(bytes.page)}, calls ${kb(bytes.calls)})`,
  );
}

test("first visit to a space page: bytes, and time to a working Accept dialog", async ({ browser, request }) => {
  // A request of its own to accept, so no other test's order matters.
  const sent = await request.post(`${SIM}/spaces/${SPACE}/peering-requests`, {
    headers: { ...AS_AWS, "Content-Type": "application/json" },
    data: { aws_account_id: "123456789012", vpc_id: "vpc-0fedcba987654321", cidr_block: "10.77.0.0/16", immediate: true },
  });
  expect(sent.status()).toBe(201);
  const pcx = (await sent.json()).pcx_id;

  const { page, files, bytes } = await firstVisit(browser);
  // Until the console's cached list has it, the page would show it only at
  // its next read: the wait would be the refresh, not the page.
  await expect
    .poll(async () => (await page.context().request.post("/api/space", { form: { space: SPACE }, headers: { Origin: BASE } })).text())
    .toContain(pcx);
  await watchForDialog(page);
  await page.goto(`/spaces/${SPACE}`);
  const hydrated = await hydration(page);
  await page.locator(`tr[data-pcx="${pcx}"]`).getByRole("button", { name: "Accept" }).click();
  await expect(page.getByRole("dialog", { name: "Accept peering" })).toBeVisible();
  // Since navigation started, by the page's own clock.
  const ms = await page.evaluate(() => performance.now());
  const { clickAt, dialogAt } = await page.evaluate(() => {
    const w = window as unknown as { clickAt: number; dialogAt: number };
    return { clickAt: w.clickAt, dialogAt: w.dialogAt };
  });
  expect(dialogAt, "the dialog came after the click").toBeGreaterThanOrEqual(clickAt);
  const opened = dialogAt - clickAt;
  const when = `${await milestones(page, hydrated)}, dialog ${opened.toFixed(1)} ms after the click`;
  report("space page", ms, await bytes(), when);
  console.log(`space page: working Accept dialog at ${(hydrated + opened).toFixed(0)} ms without the runner's click latency`);

  // The site's files: hashed names, kept for a year, compressed if asked.
  const wasm = files.find((r) => new URL(r.url()).pathname.endsWith(".wasm"));
  expect(wasm, "the page loads its wasm").toBeTruthy();
  expect(new URL(wasm!.url()).pathname).toMatch(/^\/pkg\/spaceport\.[A-Za-z0-9_-]{22}\.wasm$/);
  const headers = await wasm!.allHeaders();
  expect(headers["cache-control"]).toBe("public, max-age=31536000, immutable");
  expect(headers["content-type"]).toBe("application/wasm");
  // The page itself is never kept.
  const doc = files.find((r) => new URL(r.url()).pathname === `/spaces/${SPACE}`);
  expect((await doc!.allHeaders())["cache-control"]).toBe("no-store");
  await page.context().close();
});

test("first visit to an add-on page: bytes, and time until it answers", async ({ browser }) => {
  const { page, bytes } = await firstVisit(browser);
  await page.goto(`/spaces/${ADDON_SPACE}/addons/${ADDON}`);
  const hydrated = await hydration(page);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(ADDON);
  report("add-on page", hydrated, await bytes(), await milestones(page, hydrated));
  await page.context().close();
});

test("a release build's compressed copies are what a browser that asks gets", async ({ request }) => {
  // Which files the page names, from the page itself.
  await signIn(request, "viewer");
  const html = await (await request.get(`/spaces/${SPACE}`)).text();
  const wasm = html.match(/\/pkg\/spaceport\.[A-Za-z0-9_-]{22}\.wasm/)?.[0];
  expect(wasm, "the page names a hashed wasm").toBeTruthy();
  const plain = await request.get(wasm!, { headers: { "Accept-Encoding": "identity" } });
  expect(plain.status()).toBe(200);
  expect(plain.headers()["content-encoding"]).toBeUndefined();
  for (const encoding of ["br", "gzip"]) {
    const res = await request.get(wasm!, { headers: { "Accept-Encoding": encoding } });
    expect(res.status()).toBe(200);
    // Debug builds have no compressed copies; then the file comes as it is.
    const got = res.headers()["content-encoding"];
    if (got !== undefined) {
      expect(got).toBe(encoding);
      expect(res.headers()["vary"]?.toLowerCase()).toContain("accept-encoding");
    }
    console.log(`${wasm} as ${got ?? "identity"} for Accept-Encoding ${encoding}: ${res.headers()["content-length"]} bytes`);
  }
  // Unhashed or missing names are not kept for a year.
  const missing = await request.get("/pkg/spaceport.AAAAAAAAAAAAAAAAAAAAAA.wasm");
  expect(missing.status()).toBe(404);
  expect(missing.headers()["cache-control"] ?? "").not.toContain("immutable");
});
