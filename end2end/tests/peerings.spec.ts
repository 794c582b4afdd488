import { expect, test, type Page } from "@playwright/test";
import { open } from "./signin";

const SPACE = "spaces-peering-example";
const PENDING = "pcx-111aaa111";
const TOKYO = "acme-prod-tokyo";
const TO_DESTROY = "pcx-0a1b2c3d4e5f60718";
const TO_KEEP = "pcx-0b2c3d4e5f6071829";

/** Marks the window so a later check can prove no reload happened. */
async function markWindow(page: Page) {
  await page.evaluate(() => ((window as any).__spaceportMark = 42));
}

async function stillSameWindow(page: Page) {
  expect(await page.evaluate(() => (window as any).__spaceportMark)).toBe(42);
}

test("the overview lists every space and puts pending requests first", async ({ page }) => {
  await open(page, "/");
  const rows = page.locator("tr.space");
  await expect(rows).toHaveCount(4);
  await expect(rows.first()).toHaveClass(/pending/);
  await expect(page.locator(`tr[data-space="${SPACE}"]`)).toContainText("1 awaiting acceptance, the first expires in 6 days");
  // The seeded request that expires within a day says so.
  await expect(page.locator(`tr[data-space="${TOKYO}"]`)).toContainText(/the first expires in (19|20) hours/);
  await page.locator(`tr[data-space="${SPACE}"] a`).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(SPACE);
  await expect(page.locator(".peering-info")).toContainText("vpc-e291cc85");
  await expect(page.locator(".peering-info")).toContainText("847227832372");
});

test("accepting pcx-111aaa111 shows the request, then follows it to active without a reload", async ({ page }) => {
  await open(page, `/spaces/${SPACE}`, "operator");
  const row = page.locator(`tr[data-pcx="${PENDING}"]`);
  await expect(row).toHaveAttribute("data-status", "pending-acceptance");
  await expect(row).toContainText(/in [67] days/);
  // The heroku-managed row offers no actions.
  await expect(page.locator('tr[data-pcx="******"] button')).toHaveCount(0);

  await markWindow(page);
  await row.getByRole("button", { name: "Accept" }).click();
  const dialog = page.getByRole("dialog", { name: "Accept peering" });
  await expect(dialog).toContainText("123456789012");
  await expect(dialog).toContainText("vpc-0a1b2c3d");
  await expect(dialog).toContainText("10.100.0.0/16");
  await expect(dialog.locator(".finding.warning")).toContainText("make sure it is one of yours");
  await dialog.getByRole("button", { name: "Accept peering" }).click();

  await expect(page.locator(".notice")).toContainText(`Accepted ${PENDING}`);
  await expect(row).toHaveAttribute("data-status", "provisioning");
  await expect(row).toHaveAttribute("data-status", "active", { timeout: 20_000 });
  await stillSameWindow(page);
});

test("destroying needs the PCX ID typed, and a wrong one is refused", async ({ page }) => {
  await open(page, `/spaces/${TOKYO}`, "admin");
  const keep = page.locator(`tr[data-pcx="${TO_KEEP}"]`);
  await keep.getByRole("button", { name: "Destroy" }).click();
  let dialog = page.getByRole("dialog", { name: "Destroy peering" });
  await dialog.locator("input.confirm-text").fill("pcx-0b2c3d4e5f6071820");
  await expect(dialog.locator(".mismatch")).toContainText("nothing will be destroyed");
  await expect(dialog.getByRole("button", { name: "Destroy peering" })).toBeDisabled();
  await dialog.getByRole("button", { name: "Cancel" }).click();

  // The server holds the same rule for a call that skips the button.
  const refused = await page.evaluate(async (pcx) => {
    const res = await fetch("/api/destroy_peering", {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ space: "acme-prod-tokyo", pcx_id: pcx, confirm: "pcx-wrong" }),
    });
    return { status: res.status, body: await res.text() };
  }, TO_KEEP);
  expect(refused.status).toBe(400);
  expect(refused.body).toContain("type the PCX ID");
  await expect(keep).toHaveAttribute("data-status", "active");

  await markWindow(page);
  const row = page.locator(`tr[data-pcx="${TO_DESTROY}"]`);
  await row.getByRole("button", { name: "Destroy" }).click();
  dialog = page.getByRole("dialog", { name: "Destroy peering" });
  await dialog.locator("input.confirm-text").fill(TO_DESTROY);
  await dialog.getByRole("button", { name: "Destroy peering" }).click();
  await expect(page.locator(".notice")).toContainText(`Destroying ${TO_DESTROY}`);
  await expect(row).toHaveAttribute("data-status", "deleted", { timeout: 20_000 });
  await expect(keep).toHaveAttribute("data-status", "active");
  await stillSameWindow(page);
});

test("the filter shows one status at a time", async ({ page }) => {
  await open(page, "/spaces/acme-staging");
  await expect(page.locator("tr.peering")).not.toHaveCount(1);
  await page.locator('select[name="status"]').selectOption("failed");
  await expect(page.locator("tr.peering")).toHaveCount(1);
  await expect(page.locator("tr.peering")).toHaveAttribute("data-status", "failed");
});

test("an active peering offers the AWS half with its values filled in", async ({ page }) => {
  await open(page, `/spaces/${TOKYO}`);
  const half = page.locator(`tr[data-pcx="${TO_KEEP}"] details.peering-aws`);
  await half.locator("summary").click();
  await expect(half).toContainText("describe-route-tables --region ap-northeast-1 --filters Name=vpc-id,Values=vpc-0111aa11bb22cc33d");
  await expect(half).toContainText(`--destination-cidr-block 10.2.0.0/16 --vpc-peering-connection-id ${TO_KEEP}`);
  await expect(half).toContainText("authorize-security-group-ingress");
  await expect(half).toContainText("--cidr 10.2.");
  await expect(half).toContainText("No transitive routing");
  // Copying says so on the button clicked, and only there.
  const copies = half.locator("button.copy");
  await expect(copies.first()).toHaveText("Copy");
  await copies.first().click();
  await expect(copies.first()).toHaveText("Copied");
  await expect(copies.nth(1)).toHaveText("Copy");
  // The overview says what is left of the provider's hourly budget.
  await open(page, "/");
  await expect(page.locator(".budget")).toContainText(/of 4500 calls left this hour/);
  // And what the notifications watcher takes of it.
  await expect(page.locator(".watch-budget")).toContainText(/Notifications watcher: \d+ of its 450 calls an hour \(10% of the budget\)/);
});

test("both actions are in the audit history, with the actor and the outcome", async ({ page }) => {
  await open(page, "/audit");
  await expect(page.locator(".chain.ok")).toContainText("Hash chain verified");
  const accept = page.locator(`tr.audit-entry[data-action="peering.accept"][data-target="${PENDING}"]`);
  const destroy = page.locator(`tr.audit-entry[data-action="peering.destroy"][data-target="${TO_DESTROY}"]`);
  await expect(accept).toContainText("e2e-operator");
  await expect(destroy).toContainText("e2e-admin");
  await expect(accept.locator(".outcome")).toHaveText("ok");
  await expect(destroy.locator(".outcome")).toHaveText("ok");
  await expect(destroy).toContainText("deleting");
  // The refused destroy left no trace.
  await expect(page.locator(`tr.audit-entry[data-target="${TO_KEEP}"]`)).toHaveCount(0);
  // Filtered by space, only that space's actions remain.
  await page.locator('select[name="space"]').selectOption(TOKYO);
  await page.getByRole("button", { name: "Filter" }).click();
  await expect(page).toHaveURL(/space=acme-prod-tokyo/);
  await expect(page.locator("tr.audit-entry")).toHaveCount(1);
});
