import { expect, test } from "@playwright/test";
import { callFromPage, open, password } from "./signin";

const TOKYO = "acme-prod-tokyo";
// Tokyo's pending request, which the peering tests leave alone.
const PENDING = "pcx-0d4e5f60718293a41";
const ACTIVE = "pcx-0b2c3d4e5f6071829";

test("nobody signed in is sent to sign in, and a wrong password is told so", async ({ page }) => {
  await page.goto(`/spaces/${TOKYO}`);
  await expect(page).toHaveURL(/\/signin\?next=%2Fspaces%2Facme-prod-tokyo/);
  await page.locator('input[name="name"]').fill("e2e-viewer");
  await page.locator('input[name="password"]').fill("not the password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.locator(".error")).toHaveText("Wrong user name or password.");
  await page.locator('input[name="name"]').fill("e2e-viewer");
  await page.locator('input[name="password"]').fill(password("viewer"));
  await page.getByRole("button", { name: "Sign in" }).click();
  // Back where they were going.
  await expect(page).toHaveURL(new RegExp(`/spaces/${TOKYO}$`));
  await expect(page.locator(".me .who")).toHaveText("e2e-viewer · viewer");
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page.locator(".note")).toHaveText("Signed out.");
  await page.goto("/");
  await expect(page).toHaveURL(/\/signin/);
});

test("a viewer sees no Accept or Destroy, and a direct call is refused", async ({ page }) => {
  await open(page, `/spaces/${TOKYO}`, "viewer");
  const row = page.locator(`tr[data-pcx="${PENDING}"]`);
  await expect(row).toHaveAttribute("data-status", "pending-acceptance");
  await expect(page.locator("tr.peering button.accept")).toHaveCount(0);
  await expect(page.locator("tr.peering button.destroy")).toHaveCount(0);
  await expect(page.locator("nav")).not.toContainText("Users");

  const refused = await callFromPage(page, "accept_peering", { space: TOKYO, pcx_id: PENDING });
  expect(refused.status).toBe(403);
  expect(refused.body).toContain("Your role (viewer) cannot accept peerings");
  await page.reload();
  await expect(page.locator(`tr[data-pcx="${PENDING}"]`)).toHaveAttribute("data-status", "pending-acceptance");
  // Nothing reached the history either.
  await open(page, `/audit?space=${TOKYO}`, "viewer");
  await expect(page.locator(`tr.audit-entry[data-target="${PENDING}"]`)).toHaveCount(0);
});

test("an operator accepts but cannot destroy", async ({ page }) => {
  await open(page, `/spaces/${TOKYO}`, "operator");
  await expect(page.locator("tr.peering button.destroy")).toHaveCount(0);
  const refused = await callFromPage(page, "destroy_peering", { space: TOKYO, pcx_id: ACTIVE, confirm: ACTIVE });
  expect(refused.status).toBe(403);
  expect(refused.body).toContain("an admin can");

  const row = page.locator(`tr[data-pcx="${PENDING}"]`);
  await row.getByRole("button", { name: "Accept" }).click();
  const dialog = page.getByRole("dialog", { name: "Accept peering" });
  await dialog.getByRole("button", { name: "Accept peering" }).click();
  await expect(page.locator(".notice")).toContainText(`Accepted ${PENDING}`);
  await expect(row).toHaveAttribute("data-status", /provisioning|active/);
});

test("an admin manages users: invite, change a role, and the last admin stays", async ({ page }) => {
  await open(page, "/users", "admin");
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Users");
  await page.locator('.invite input[name="name"]').fill("new colleague");
  await expect(page.locator(".invite .error")).toContainText("A user name is");
  await page.locator('.invite input[name="name"]').fill("e2e-newcomer");
  await page.locator('.invite select[name="role"]').selectOption("operator");
  await page.getByRole("button", { name: "Invite" }).click();
  await expect(page.locator(".invited")).toContainText("Invited e2e-newcomer as operator");
  const oneTime = (await page.locator(".invited code").textContent()) ?? "";
  expect(oneTime).toHaveLength(20);
  const newcomer = page.locator('tr.user[data-user="e2e-newcomer"]');
  await expect(newcomer).toContainText("invited");

  await newcomer.locator("select.role").selectOption("viewer");
  await expect(newcomer).toHaveAttribute("data-role", "viewer");
  // The only admin cannot step down.
  await page.locator('tr.user[data-user="e2e-admin"] select.role').selectOption("operator");
  await expect(page.locator("[role=alert], .error").first()).toContainText("last enabled admin");
  await expect(page.locator('tr.user[data-user="e2e-admin"]')).toHaveAttribute("data-role", "admin");

  // The newcomer signs in with the one-time password and must choose their own.
  const other = await page.context().browser()!.newContext({ baseURL: new URL(page.url()).origin });
  const them = await other.newPage();
  await them.goto("/signin");
  await them.locator('input[name="name"]').fill("e2e-newcomer");
  await them.locator('input[name="password"]').fill(oneTime);
  await them.getByRole("button", { name: "Sign in" }).click();
  await expect(them).toHaveURL(/\/password$/);
  await them.locator('input[name="current"]').fill(oneTime);
  await them.locator('input[name="new"]').fill("newcomer-password");
  await them.locator('input[name="repeat"]').fill("newcomer-password");
  await them.getByRole("button", { name: "Set password" }).click();
  await expect(them).toHaveURL(/\/\?password_changed=1$/);
  await expect(them.locator(".me .who")).toHaveText("e2e-newcomer · viewer");
  await other.close();

  await open(page, "/audit", "admin");
  await expect(page.locator('tr.audit-entry[data-action="user.invite"]')).toContainText("e2e-admin");
  await expect(page.locator('tr.audit-entry[data-action="auth.sign_in"]').first()).toBeVisible();
});

test("a page a role may not open is the console's own page, saying whose it is", async ({ page }) => {
  await open(page, "/", "operator");
  const res = await page.goto("/settings");
  expect(res?.status()).toBe(403);
  // The console's layout: the navigation, who is signed in, a way back.
  await expect(page.locator(".topbar nav")).toContainText("Spaces");
  await expect(page.locator(".me .who")).toHaveText("e2e-operator · operator");
  const refused = page.locator("section.refused");
  await expect(refused.getByRole("heading")).toHaveText("This page is not open to you");
  await expect(refused).toContainText("where admins change the approval policy");
  await expect(refused).not.toContainText("Nothing was changed");
  await refused.getByRole("link", { name: "Back to the spaces" }).click();
  await expect(page).toHaveURL(/\/$/);
});
