import { expect, test } from "@playwright/test";
import { open } from "./signin";

// The console whose history was edited before it started (see
// playwright.config.ts): its pages carry the alarm from the server, and an
// admin's click silences it.
const tampered = `http://127.0.0.1:${Number(process.env.SPACEPORT_E2E_PORT ?? 3100) + 7}`;
const alarm = ".integrity-alarm";

/** Opens `/` on the tampered console until its verifier has found the edit. */
async function openWithAlarm(page: import("@playwright/test").Page, role: "viewer" | "admin") {
  await open(page, `${tampered}/`, role);
  await expect(async () => {
    await page.reload();
    await page.locator("body[data-hydrated]").waitFor();
    await expect(page.locator(alarm)).toBeVisible({ timeout: 1_000 });
  }).toPass({ timeout: 20_000 });
}

test("the alarm is on every page; a viewer cannot silence it, an admin can", async ({ browser, page }) => {
  const viewer = await (await browser.newContext()).newPage();
  await openWithAlarm(viewer, "viewer");
  await expect(viewer.locator(`${alarm} .finding`)).toContainText("was edited");
  await expect(viewer.locator(alarm).getByRole("button", { name: "Acknowledge" })).toHaveCount(0);

  await openWithAlarm(page, "admin");
  await expect(page.locator(`${alarm} .finding`)).toContainText("was edited");
  await page.locator(alarm).getByRole("button", { name: "Acknowledge" }).click();
  await expect(page.locator(alarm)).toHaveCount(0);
  // The next page, from the server, has none; the history says who did it.
  await open(page, `${tampered}/audit`, "admin");
  await expect(page.locator(alarm)).toHaveCount(0);
  const record = page.locator(`tr.audit-entry[data-action="audit.acknowledge"]`);
  await expect(record.first()).toContainText("e2e-admin");
  await viewer.reload();
  await expect(viewer.locator(alarm)).toHaveCount(0);
});
