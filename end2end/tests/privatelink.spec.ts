import { expect, test } from "@playwright/test";
import { open } from "./signin";

const SPACE = "spaces-peering-example";
const PG = "postgresql-curved-12345";
const ENDPOINT = "vpce-0123456789abcdef0";
// The simulator's control surface (see playwright.config.ts).
const SIM = `http://127.0.0.1:${Number(process.env.SPACEPORT_E2E_PORT ?? 3100) + 1}/_sim`;
// The control surface asks for the simulator's token, like its API.
const AS_AWS = { Authorization: `Bearer ${process.env.SPACEPORT_E2E_TOKEN ?? ""}` };

test("a PrivateLink for Postgres: create, wait, accounts, connect, reveal, destroy, audit", async ({ page, request }) => {
  test.setTimeout(120_000);
  await open(page, `/spaces/${SPACE}`, "admin");
  const addons = page.locator("tr.addon");
  await expect(addons).toHaveCount(4);
  await expect(page.locator('tr.addon[data-addon="redis-sushi-12345"]')).toContainText("Operational");
  // Its PrivateLink answers carry nulls, as the real Data API's may.
  await expect(page.locator('tr.addon[data-addon="redis-cache-67890"]')).toContainText("Operational");
  await page.locator(`tr.addon[data-addon="${PG}"] a`).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(PG);
  await page.locator("body[data-hydrated]").waitFor();

  // Accounts are checked as they are typed, with the server's own parser.
  const accounts = page.locator("textarea[name=accounts]");
  await accounts.fill("12345678901, 123456789012:user/a/b");
  await expect(page.locator(".account-error")).toContainText("12 digits");
  await expect(page.locator(".account-error")).toContainText("path");
  await expect(page.getByRole("button", { name: "Create PrivateLink" })).toBeDisabled();
  await accounts.fill("123456789012:user/ops");
  await expect(page.locator(".hint.ok")).toContainText("arn:aws:iam::123456789012:user/ops");
  await page.getByRole("button", { name: "Create PrivateLink" }).click();

  // The page follows provisioning (15 s at time scale 30) by itself.
  await expect(page.locator("[data-link-status]").first()).toHaveText("Provisioning");
  await expect(page.locator(".waiting")).toContainText("5 to 10 minutes");
  await expect(page.locator("[data-link-status]").first()).toHaveText("Operational", { timeout: 45_000 });
  await expect(page.locator(".service-name")).toContainText("com.amazonaws.vpce.us-east-1.vpce-svc-");
  await expect(page.locator(".privatelink-aws")).toContainText("TCP 5432");

  // Add an account, then remove it after a confirmation.
  await page.locator(".add-accounts input").fill("210987654321:role/ci");
  await page.getByRole("button", { name: "Add", exact: true }).click();
  const added = page.locator('tr.account[data-arn="arn:aws:iam::210987654321:role/ci"]');
  await expect(added).toBeVisible();
  await added.getByRole("button", { name: "Remove" }).click();
  const dialog = page.getByRole("dialog", { name: "Remove account" });
  await dialog.getByRole("button", { name: "Remove account" }).click();
  await expect(added).toHaveCount(0);
  await expect(page.locator(".notice")).toContainText("Accounts removed");
  // The action that answered last speaks: an addition after a removal says
  // the addition (a fixed order of actions once let the removal's win).
  await page.locator(".add-accounts input").fill("210987654321:role/deploy");
  await page.getByRole("button", { name: "Add", exact: true }).click();
  await expect(page.locator('tr.account[data-arn="arn:aws:iam::210987654321:role/deploy"]')).toBeVisible();
  await expect(page.locator(".notice")).toContainText("Accounts added");

  // The AWS side connects a VPC endpoint from the allowed account.
  const refused = await request.post(`${SIM}/privatelink/${PG}/connections`, {
    headers: AS_AWS,
    data: { owner: "999999999999" },
  });
  expect(refused.status()).toBe(403);
  const connected = await request.post(`${SIM}/privatelink/${PG}/connections`, {
    headers: AS_AWS,
    data: { owner: "123456789012:user/ops", endpoint_id: ENDPOINT },
  });
  expect(connected.status()).toBe(201);
  // Reads are cached for the refresh period (1 s here), so reload until the
  // connection shows, as a person would; from then on the page follows it.
  const row = page.locator(`tr.connection[data-endpoint="${ENDPOINT}"]`);
  await expect(async () => {
    await page.reload();
    await page.locator("body[data-hydrated]").waitFor();
    await expect(row).toBeVisible({ timeout: 1_000 });
  }).toPass({ timeout: 20_000 });
  await expect(row).toHaveAttribute("data-status", "Available", { timeout: 20_000 });
  await expect(row).toContainText("DATABASE_ENDPOINT_0123456789ABCDEF0_URL");
  await expect(row.locator("code.masked")).toContainText("********");
  await row.getByRole("button", { name: "Reveal" }).click();
  await expect(row.locator(".url .copyable code")).toContainText("postgres://");
  await expect(row.locator(".url .copyable code")).not.toContainText("********");

  // Destroy needs the add-on's name typed.
  const destroy = page.getByRole("button", { name: "Destroy PrivateLink" });
  await page.locator(".destroy-link input.confirm-text").fill("postgresql");
  await expect(destroy).toBeDisabled();
  await page.locator(".destroy-link input.confirm-text").fill(PG);
  await destroy.click();
  await expect(page.locator(".notice")).toContainText("Deprovisioning");

  // All of it is in the audit history.
  await open(page, `/audit?space=${SPACE}`, "admin");
  for (const action of [
    "privatelink.create",
    "privatelink.account_add",
    "privatelink.account_remove",
    "privatelink.reveal_url",
    "privatelink.destroy",
  ]) {
    const entry = page.locator(`tr.audit-entry[data-action="${action}"][data-target="${PG}"]`);
    const times = action === "privatelink.account_add" ? 2 : 1;
    await expect(entry).toHaveCount(times);
    await expect(entry.locator(".outcome")).toHaveText(Array(times).fill("ok"));
  }
  await expect(page.locator(`tr.audit-entry[data-action="privatelink.reveal_url"]`)).toContainText(ENDPOINT);
  await expect(page.locator(".chain.ok")).toBeVisible();
});

test("following a provisioning PrivateLink stops at the configured limit", async ({ page }) => {
  // The second console runs in real time (450 s to provision) with a 5 s limit.
  const slow = `http://127.0.0.1:${Number(process.env.SPACEPORT_E2E_PORT ?? 3100) + 3}`;
  await open(page, `${slow}/spaces/${SPACE}/addons/kafka-fluffy-12345`);
  await expect(page.locator("[data-link-status]").first()).toHaveText("Provisioning");
  await expect(page.locator(".waiting")).toContainText("5 to 10 minutes");
  await expect(page.locator(".gave-up")).toContainText("Still provisioning after 5 seconds", { timeout: 20_000 });
  await expect(page.locator("[data-link-status]").first()).toHaveText("Provisioning");
});
