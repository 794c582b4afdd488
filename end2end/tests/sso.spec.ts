import { expect, test, type Page } from "@playwright/test";
import * as fs from "node:fs";

// Sign-in through a real OpenID provider (oidc-provider, started by the
// config on its own port) on the console that uses it, driving the
// provider's own sign-in and consent pages. A test user signs in by typing
// their `sub`; their name and groups come from the provider's state file,
// which these tests rewrite to move people between groups.
const port = Number(process.env.SPACEPORT_E2E_PORT ?? 3100);
const sso = `http://127.0.0.1:${port + 9}`;
const stateFile = process.env.SPACEPORT_E2E_IDP_STATE!;

type Person = { sub: string; name: string; groups: string[] };

function provide(...people: Person[]) {
  const users = Object.fromEntries(people.map((p) => [p.sub, { name: p.name, groups: p.groups }]));
  fs.writeFileSync(stateFile, JSON.stringify({ users, clock_offset_secs: 0 }));
}

/// From the console's sign-in page through the provider's pages, as `sub`.
async function throughProvider(page: Page, sub: string) {
  await page.goto(`${sso}/signin`);
  await page.getByRole("link", { name: "Sign in with Test IdP" }).click();
  await page.locator('input[name="login"]').fill(sub);
  await page.locator('input[name="password"]').fill("anything");
  await page.getByRole("button", { name: "Sign-in" }).click();
  await page.getByRole("button", { name: "Continue" }).click();
}

test("a first sign-in makes the user; moved to the viewers, the next is a viewer and the admin session ends", async ({ browser }) => {
  provide({ sub: "u-9001", name: "alice", groups: ["sp-admins"] });
  const first = await browser.newContext();
  const a = await first.newPage();
  await throughProvider(a, "u-9001");
  await expect(a).toHaveURL(`${sso}/`);
  await expect(a.locator(".topbar")).toContainText("alice");
  await a.goto(`${sso}/users`);
  await expect(a.locator("tr.user[data-user=alice]")).toContainText("SSO");
  await expect(a.locator("tr.user[data-user=alice]")).toHaveAttribute("data-role", "admin");

  provide({ sub: "u-9001", name: "alice", groups: ["sp-viewers"] });
  const second = await browser.newContext();
  const b = await second.newPage();
  await throughProvider(b, "u-9001");
  await expect(b).toHaveURL(`${sso}/`);
  await b.goto(`${sso}/users`);
  await expect(b.locator("main")).toContainText("your role (viewer) cannot");

  // The admin session that was open is over.
  await a.goto(`${sso}/users`);
  await expect(a).toHaveURL(/\/signin\?next=%2Fusers/);
  await first.close();
  await second.close();
});

test("someone in no group is refused with a page that says why", async ({ page }) => {
  provide({ sub: "u-9002", name: "mallory", groups: ["finance"] });
  await throughProvider(page, "u-9002");
  await expect(page).toHaveURL(/\/signin\?error=sso_no_group/);
  await expect(page.getByRole("alert")).toContainText("none of the groups that give a role");
});

test("a tampered callback is refused", async ({ page }) => {
  provide({ sub: "u-9003", name: "carol", groups: ["sp-operators"] });
  const idp = `http://127.0.0.1:${port + 8}`;
  await page.goto(`${sso}/signin`);
  await page.getByRole("link", { name: "Sign in with Test IdP" }).click();
  await page.locator('input[name="login"]').fill("u-9003");
  await page.locator('input[name="password"]').fill("anything");
  await page.getByRole("button", { name: "Sign-in" }).click();
  // At the consent page, consent is given with the browser's own cookies,
  // and the provider's way back is followed by hand up to the callback...
  const form = page.locator("form").first();
  const action = new URL((await form.getAttribute("action"))!, page.url()).toString();
  const fields = await form.evaluate((f) =>
    Object.fromEntries([...new FormData(f as HTMLFormElement).entries()].map(([k, v]) => [k, String(v)])),
  );
  let res = await page.request.post(action, { form: fields, maxRedirects: 0 });
  let to = res.headers()["location"];
  while (to && !to.includes("/signin/sso/callback")) {
    res = await page.request.get(new URL(to, idp).toString(), { maxRedirects: 0 });
    to = res.headers()["location"];
  }
  expect(to).toContain("state=");
  // ...which arrives with its state changed on the way.
  await page.goto(to.replace("state=", "state=tampered"));
  await expect(page).toHaveURL(/\/signin\?error=sso_forged/);
  await expect(page.getByRole("alert")).toContainText("does not belong to a sign-in this browser started");
});

test("signing out ends the session here and at the provider", async ({ page }) => {
  provide({ sub: "u-9004", name: "erin", groups: ["sp-operators"] });
  await throughProvider(page, "u-9004");
  await expect(page.locator(".topbar")).toContainText("erin");
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.getByRole("button", { name: "Yes, sign me out" }).click();
  await expect(page).toHaveURL(`${sso}/signin?signed_out=1`);
  await expect(page.locator(".signin .note")).toContainText("Signed out.");
  // Signed out at the provider too: its sign-in page asks again.
  await page.getByRole("link", { name: "Sign in with Test IdP" }).click();
  await expect(page.locator('input[name="login"]')).toBeVisible();
});

test("passwords are for break-glass admins only", async ({ page }) => {
  await page.goto(`${sso}/signin`);
  await expect(page.getByRole("link", { name: "Sign in with Test IdP" })).toBeVisible();
  await page.locator("summary", { hasText: "Break-glass sign-in" }).click();
  await page.locator('input[name="name"]').fill("e2e-operator");
  await page.locator('input[name="password"]').fill("e2e-password-operator");
  await page.getByRole("button", { name: "Sign in with a password" }).click();
  await expect(page.getByRole("alert")).toContainText("break-glass admins only");
  await page.screenshot({ path: "test-results/sso-signin.png", fullPage: true });
});
