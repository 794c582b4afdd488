// Takes the README's screenshot: the space page with the accept
// confirmation open. Usage (with the console running on the simulator, and
// the demo operator's password it printed at start-up):
//   node end2end/screenshot.mjs http://127.0.0.1:3000 docs/space-page.png PASSWORD
import { chromium } from "@playwright/test";

const [base = "http://127.0.0.1:3000", out = "docs/space-page.png", password = ""] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
await page.goto(`${base}/signin?next=/spaces/spaces-peering-example`);
await page.locator('input[name="name"]').fill("demo-operator");
await page.locator('input[name="password"]').fill(password);
await page.getByRole("button", { name: "Sign in" }).click();
await page.waitForURL(/\/spaces\//);
await page.locator("body[data-hydrated]").waitFor();
await page.locator('tr[data-pcx="pcx-111aaa111"] button.accept').click();
await page.getByRole("dialog").waitFor();
await page.screenshot({ path: out });
await browser.close();
