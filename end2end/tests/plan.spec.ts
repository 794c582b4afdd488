import { expect, test } from "@playwright/test";
import { open } from "./signin";

const EU = "data-platform-eu";
const TOKYO = "acme-prod-tokyo";

test("the plan draws and names the demo's request inside 172.17.0.0/16", async ({ page }) => {
  await open(page, `/spaces/${EU}`);
  const plan = page.locator("#address-plan");
  await expect(plan.locator(".plan-summary")).toContainText("1 overlap");
  await expect(plan.locator(".plan-summary")).toContainText("172.17.8.0/24 (peering pcx-15c6d7e8f9a0b1c29, pending-acceptance) overlaps 172.17.0.0/16 (reserved in every space)");
  // The table beside the picture names both sides of the overlap.
  const row = plan.locator('.plan-table tr.clash[data-block="172.17.8.0/24"]');
  await expect(row).toContainText("peering pcx-15c6d7e8f9a0b1c29, pending-acceptance");
  await expect(row).toContainText("172.17.0.0/16 (reserved in every space)");
  await expect(plan.locator('.plan-table tr.clash[data-block="172.17.0.0/16"]')).toContainText("172.17.8.0/24");
  // The picture draws it in red, where it is, and says so on hover.
  const overlap = plan.locator('svg.plan-picture rect.plan-clash[data-overlap="172.17.8.0/24"]');
  await expect(overlap).toBeVisible();
  await expect(overlap.locator("title")).toHaveText(/172\.17\.8\.0\/24 \(peering pcx-15c6d7e8f9a0b1c29, pending-acceptance\) overlaps 172\.17\.0\.0\/16/);
  await expect(plan.locator('g.band[data-range="172.16.0.0/12"] rect.clashing')).toHaveCount(2);
  // The space's own blocks are drawn, and 192.168.0.0/16 is free.
  await expect(plan.locator('svg rect.plan-vpc[data-block="10.6.0.0/16"]')).toBeVisible();
  await expect(plan.locator('g.band[data-range="192.168.0.0/16"]')).toContainText("all free");
});

test("the finder answers in the browser as the size and range change", async ({ page }) => {
  await open(page, `/spaces/${EU}`);
  const finder = page.locator("#address-plan .finder");
  // Its first answer: the largest free /20s, each with a copy button.
  await expect(finder.locator("li[data-suggestion]").first()).toHaveAttribute("data-suggestion", "10.128.0.0/20");
  await expect(finder.locator("li[data-suggestion] button.copy")).toHaveCount(5);
  await finder.locator('select[name="prefix"]').selectOption("16");
  await finder.locator('input[name="within"]').fill("172.16.0.0/12");
  await expect(finder.locator("li[data-suggestion]").first()).toHaveAttribute("data-suggestion", "172.24.0.0/16");
  await expect(finder.locator("li").first()).toContainText("in a free 172.24.0.0/13");
  // None of what it suggests is the reserved range.
  const suggested = await finder.locator("li[data-suggestion]").evaluateAll((ls) => ls.map((l) => l.getAttribute("data-suggestion")));
  expect(suggested).not.toContain("172.17.0.0/16");
  await finder.locator('input[name="within"]').fill("172.17.0.0/16");
  await expect(finder.locator(".finder-answer")).toContainText("No free block of that size is left there.");
  await finder.locator('input[name="within"]').fill("8.8.8.0/24");
  await expect(finder.locator(".finder-answer")).toContainText("outside the private ranges");
  await finder.locator('input[name="within"]').fill("10.64.0.0/10");
  await expect(finder.locator("li[data-suggestion]").first()).toHaveAttribute("data-suggestion", "10.64.0.0/16");
});

test("the overview shows every plan, the shared peers, and finds a block for several spaces", async ({ page }) => {
  await open(page, "/");
  const estate = page.locator("section.estate");
  await expect(estate.locator("figure.plan-card")).toHaveCount(4);
  await expect(estate.locator(`figure.plan-card[data-space="${EU}"] .marker.clash`)).toHaveText("1 overlap");
  await expect(estate.locator('table.shared-peers tr[data-shared="123456789012"]').first()).toContainText(TOKYO);
  const finder = estate.locator(".finder");
  await expect(finder.locator('input[type="checkbox"]')).toHaveCount(4);
  await finder.locator('select[name="prefix"]').selectOption("16");
  await finder.locator('input[name="within"]').fill("10.0.0.0/13");
  // 10.0-10.7 holds the four spaces' VPCs and data blocks: all taken.
  await expect(finder.locator(".finder-answer")).toContainText("No free block of that size is left there.");
  // Peering with one space only frees the others' blocks.
  for (const other of ["spaces-peering-example", "acme-staging", EU]) {
    await finder.locator(`input[data-space="${other}"]`).uncheck();
  }
  await expect(finder.locator("li[data-suggestion]").first()).toHaveAttribute("data-suggestion", "10.4.0.0/16");
});

test("a space's Terraform is shown to copy and downloaded as a file", async ({ page }) => {
  await open(page, `/spaces/${TOKYO}`);
  await page.getByRole("link", { name: "Export to Terraform" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(`${TOKYO}: Terraform`);
  const hcl = page.locator(".terraform pre");
  await expect(hcl).toContainText('resource "heroku_space_peering_connection_accepter" "pcx-0b2c3d4e5f6071829"');
  await expect(hcl).toContainText("to = heroku_space_peering_connection_accepter.pcx-0b2c3d4e5f6071829");
  await expect(hcl).toContainText('# resource "aws_route"');
  const download = page.waitForEvent("download");
  await page.getByRole("link", { name: `Download ${TOKYO}.tf` }).click();
  expect((await download).suggestedFilename()).toBe(`${TOKYO}.tf`);
});
