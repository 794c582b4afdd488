import { expect, test, type Browser, type Page, type APIRequestContext } from "@playwright/test";
import { callFromPage, open, type Role } from "./signin";

// Four eyes, on the console that keeps a new console's policy (see
// playwright.config.ts): an operator asks, an admin decides, each in a
// browser context of their own. Each test sends its own peering requests
// from the AWS side through that console's simulator.
const port = Number(process.env.SPACEPORT_E2E_PORT ?? 3100);
const BASE = `http://127.0.0.1:${port + 6}`;
const SIM = `http://127.0.0.1:${port + 4}`;
const token = process.env.SPACEPORT_E2E_TOKEN ?? "";
const SPACE = "spaces-peering-example";

test.use({ baseURL: BASE });

/** A peering request from the AWS side; its PCX ID. */
async function sendRequest(request: APIRequestContext, body: Record<string, unknown>): Promise<string> {
  const res = await request.post(`${SIM}/_sim/spaces/${SPACE}/peering-requests`, {
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
    data: { vpc_id: "vpc-0fedcba987654321", immediate: true, ...body },
  });
  expect(res.status()).toBe(201);
  return (await res.json()).pcx_id;
}

/** A signed-in page of its own (own cookies): one person at one screen. */
async function person(browser: Browser, role: Role, url: string): Promise<Page> {
  const context = await browser.newContext({ baseURL: BASE });
  const page = await context.newPage();
  await open(page, url, role);
  await page.evaluate(() => ((window as any).__spaceportMark = 42));
  return page;
}

async function stillSameWindow(page: Page) {
  expect(await page.evaluate(() => (window as any).__spaceportMark)).toBe(42);
}

/** A unique 10.x.0.0/16 per test, so no two requests overlap. */
let next = 40;
const cidr = () => `10.${next++}.0.0/16`;

/** The operator asks for approval to accept `pcx` from its row. */
async function askToAccept(op: Page, pcx: string, reason: string) {
  const row = op.locator(`tr[data-pcx="${pcx}"]`);
  await row.getByRole("button", { name: "Request approval" }).click();
  const dialog = op.getByRole("dialog", { name: "Accept peering" });
  await expect(dialog.locator(".reason-form")).toBeVisible();
  await dialog.locator("textarea.reason").fill(reason);
  await dialog.getByRole("button", { name: "Request approval" }).click();
  await expect(op.locator(".notice.decision")).toContainText("Asked for approval #");
  await expect(row.locator(".approval-pending")).toBeVisible();
}

test("an operator asks, an admin approves, and both see the peering reach active without a reload", async ({ browser, request }) => {
  const op = await person(browser, "operator", `/spaces/${SPACE}`);
  const admin = await person(browser, "admin", `/spaces/${SPACE}`);
  // The request arrives while both pages are open.
  const pcx = await sendRequest(request, { aws_account_id: "210987654321", cidr_block: cidr() });
  const opRow = op.locator(`tr[data-pcx="${pcx}"]`);
  await expect(opRow).toHaveAttribute("data-status", "pending-acceptance", { timeout: 15_000 });
  await expect(opRow.locator(".marker.unexpected")).toHaveText("unexpected requester");

  await opRow.getByRole("button", { name: "Request approval" }).click();
  const dialog = op.getByRole("dialog", { name: "Accept peering" });
  await expect(dialog.locator(".marker.unexpected")).toBeVisible();
  // Only what this person can do: ask, or cancel. No greyed accept.
  await expect(dialog.getByRole("button", { name: "Accept peering" })).toHaveCount(0);
  await expect(dialog.getByRole("button", { name: "Cancel" })).toHaveCount(1);
  await expect(dialog.locator(".finding.warning")).toContainText("make sure it is one of yours");
  // No reason, no request.
  await expect(dialog.getByRole("button", { name: "Request approval" })).toBeDisabled();
  await dialog.locator("textarea.reason").fill("NET-42: the payments VPC");
  await dialog.getByRole("button", { name: "Request approval" }).click();
  await expect(op.locator(".notice.decision")).toContainText("Asked for approval #");

  // The admin's page shows it by itself, and so does the inbox count.
  const adminRow = admin.locator(`tr[data-pcx="${pcx}"]`);
  await expect(adminRow.getByRole("button", { name: "Review" })).toBeVisible({ timeout: 15_000 });
  await expect(admin.locator(".inbox-link .count")).toBeVisible({ timeout: 10_000 });
  await adminRow.getByRole("button", { name: "Review" }).click();
  const decide = admin.getByRole("dialog", { name: "Decide approval" });
  await expect(decide).toContainText("NET-42: the payments VPC");
  await expect(decide).toContainText("e2e-operator");
  await expect(decide.locator(".snapshot")).toContainText("210987654321");
  await expect(decide.locator(".marker.unexpected")).toBeVisible();
  await decide.locator("input.comment").fill("checked with the payments team");
  await decide.getByRole("button", { name: "Approve" }).click();
  await expect(admin.locator(".notice.decision")).toContainText(`Accepted ${pcx}`);

  for (const page of [admin, op]) {
    const row = page.locator(`tr[data-pcx="${pcx}"]`);
    await expect(row).toHaveAttribute("data-status", "active", { timeout: 30_000 });
    await stillSameWindow(page);
  }
  // The history names the approver as the one who accepted, and who asked.
  await open(admin, `/audit?action=peering.accept`);
  const entry = admin.locator(`tr.audit-entry[data-target="${pcx}"]`);
  await expect(entry).toContainText("e2e-admin");
  await expect(entry).toContainText("asked for by e2e-operator");
});

test("a rejection shows its reason to the requester", async ({ browser, request }) => {
  const pcx = await sendRequest(request, { aws_account_id: "210987654321", cidr_block: cidr() });
  const op = await person(browser, "operator", `/spaces/${SPACE}`);
  await expect(op.locator(`tr[data-pcx="${pcx}"]`)).toBeVisible({ timeout: 15_000 });
  await askToAccept(op, pcx, "please");

  const admin = await person(browser, "admin", "/inbox");
  const card = admin.locator(`.to-decide .approval[data-target="${pcx}"]`);
  await expect(card).toBeVisible({ timeout: 10_000 });
  await expect(card.getByRole("button", { name: "Reject" })).toBeDisabled();
  await card.locator("input.comment").fill("not our account");
  await card.getByRole("button", { name: "Reject" }).click();
  await expect(admin.locator(".notice.decision")).toContainText("rejected");

  // The requester sees why, on the page they had open and in their inbox.
  const row = op.locator(`tr[data-pcx="${pcx}"]`);
  await expect(row.locator(".approval-ended")).toContainText("rejected by e2e-admin: not our account", { timeout: 15_000 });
  await stillSameWindow(op);
  await open(op, "/inbox");
  await expect(op.locator(`.mine .approval[data-target="${pcx}"] .rejected`)).toContainText("not our account");
});

test("nobody approves their own request, in the page or over HTTP", async ({ browser, request }) => {
  const pcx = await sendRequest(request, { aws_account_id: "210987654321", cidr_block: cidr() });
  const op = await person(browser, "operator", `/spaces/${SPACE}`);
  await expect(op.locator(`tr[data-pcx="${pcx}"]`)).toBeVisible({ timeout: 15_000 });
  await askToAccept(op, pcx, "mine");
  const row = op.locator(`tr[data-pcx="${pcx}"]`);
  await expect(row.getByRole("button", { name: "Review" })).toHaveCount(0);
  await expect(row.getByRole("button", { name: "Withdraw" })).toBeVisible();
  const id = await row.locator(".approval-pending").getAttribute("data-approval");

  await open(op, "/inbox");
  const mine = op.locator(`.mine .approval[data-target="${pcx}"]`);
  await expect(mine).toBeVisible();
  await expect(mine.getByRole("button", { name: "Approve" })).toHaveCount(0);
  await expect(op.locator(`.to-decide .approval[data-target="${pcx}"]`)).toHaveCount(0);

  const refused = await callFromPage(op, "approve", { request: id!, comment: "" });
  expect(refused.status).toBe(403);
  expect(refused.body).toContain("another person must decide it");
  // Taking it back is theirs alone.
  await mine.getByRole("button", { name: "Withdraw" }).click();
  await expect(op.locator(".notice.decision")).toContainText("withdrawn");
});

test("a request changed behind the approval is refused, and says what changed", async ({ browser, request }) => {
  const pcx = await sendRequest(request, { aws_account_id: "210987654321", cidr_block: "10.90.0.0/16" });
  const op = await person(browser, "operator", `/spaces/${SPACE}`);
  await expect(op.locator(`tr[data-pcx="${pcx}"]`)).toBeVisible({ timeout: 15_000 });
  await askToAccept(op, pcx, "the new VPC");

  // On the AWS side, the request now announces another CIDR.
  const amended = await request.patch(`${SIM}/_sim/spaces/${SPACE}/peerings/${pcx}`, {
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
    data: { cidr_block: "10.91.0.0/16" },
  });
  expect(amended.status()).toBe(200);

  const admin = await person(browser, "admin", "/inbox");
  const card = admin.locator(`.to-decide .approval[data-target="${pcx}"]`);
  await expect(card).toBeVisible({ timeout: 10_000 });
  await expect(card.locator(".snapshot")).toContainText("10.90.0.0/16");
  await card.getByRole("button", { name: "Approve" }).click();
  await expect(admin.locator("p.error")).toContainText("CIDR blocks is now 10.91.0.0/16 (was 10.90.0.0/16)");
  await open(admin, `/spaces/${SPACE}`);
  await expect(admin.locator(`tr[data-pcx="${pcx}"]`)).toHaveAttribute("data-status", "pending-acceptance");
});

test("an expired request cannot be approved", async ({ browser, request }) => {
  // The peering request itself expires in 20 seconds, and the approval with it.
  const pcx = await sendRequest(request, {
    aws_account_id: "210987654321",
    cidr_block: cidr(),
    expires_in_secs: 20,
  });
  const op = await person(browser, "operator", `/spaces/${SPACE}`);
  await expect(op.locator(`tr[data-pcx="${pcx}"]`)).toBeVisible({ timeout: 10_000 });
  await askToAccept(op, pcx, "quick");

  const admin = await person(browser, "admin", "/inbox");
  const card = admin.locator(`.to-decide .approval[data-target="${pcx}"]`);
  await expect(card).toBeVisible({ timeout: 10_000 });
  // It counts down, urgent under a day, and the pending request too.
  await expect(card.locator(".countdown.urgent")).toBeVisible();
  await expect(admin.locator(`tr.pending-request[data-pcx="${pcx}"] .countdown.urgent`)).toBeVisible();
  // The admin writes a comment (the page holds still), and time runs out.
  await card.locator("input.comment").fill("looking");
  await expect(card.locator(".countdown.expired")).toBeVisible({ timeout: 30_000 });
  // The page counts in whole seconds; let the last one pass for certain.
  await admin.waitForTimeout(2_000);
  await card.getByRole("button", { name: "Approve" }).click();
  await expect(admin.locator("p.error")).toContainText("expired");
  await open(admin, `/audit?action=approval.expire`);
  await expect(admin.locator("tr.audit-entry").first()).toContainText("spaceport");
});

test("an expected peer clears its own request's marker, and can be required", async ({ browser, request }) => {
  const ours = await sendRequest(request, { aws_account_id: "210987654321", vpc_id: "vpc-0aaaaaaa1", cidr_block: "10.80.0.0/16" });
  const stranger = await sendRequest(request, { aws_account_id: "999988887777", vpc_id: "vpc-0bbbbbbb2", cidr_block: "10.81.0.0/16" });
  const op = await person(browser, "operator", `/spaces/${SPACE}`);
  const oursRow = op.locator(`tr[data-pcx="${ours}"]`);
  const strangerRow = op.locator(`tr[data-pcx="${stranger}"]`);
  await expect(oursRow.locator(".marker.unexpected")).toBeVisible({ timeout: 15_000 });
  await expect(strangerRow.locator(".marker.unexpected")).toBeVisible();

  // The form sits in the expected peers' card.
  const form = op.locator("section.expected-peers form.expect");
  await expect(form).toBeVisible();
  await form.locator('input[name="aws_account_id"]').fill("210987654321");
  await form.locator('input[name="vpc_id"]').fill("vpc-0aaaaaaa1");
  await form.locator('input[name="cidr"]').fill("10.80.0.0/16");
  await form.locator('input[name="note"]').fill("NET-77 analytics");
  // Too far ahead is refused; a month is fine.
  await form.locator('input[name="valid_until"]').fill("2099-01-01");
  await form.getByRole("button", { name: "Expect this peer" }).click();
  await expect(op.locator("p.error")).toContainText("a year at most");
  const inAMonth = new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10);
  await form.locator('input[name="valid_until"]').fill(inAMonth);
  await form.getByRole("button", { name: "Expect this peer" }).click();
  await expect(op.locator(".notice.expected-said")).toContainText("Expecting peer #");
  await expect(oursRow.locator(".marker.expected")).toHaveText("expected: NET-77 analytics");
  await expect(strangerRow.locator(".marker.unexpected")).toBeVisible();
  // The overview says how many requests nobody expected.
  await open(op, "/");
  await expect(op.locator(`tr[data-space="${SPACE}"] .marker.unexpected`)).toBeVisible();

  // An admin lets accepts through without approval, but only expected
  // ones. Lowering a count loosens four eyes: it waits for another admin.
  const admin = await person(browser, "admin", "/settings");
  await admin.locator('tr[data-kind="peering.accept"] select').selectOption("0");
  await admin.locator('input[name="require_expected_peer"]').check();
  await expect(admin.getByRole("button", { name: "Save" })).toHaveCount(0);
  await admin.locator(".policy-form textarea.reason").fill("NET-77: accept expected peers directly");
  await admin.getByRole("button", { name: "Request approval" }).click();
  await expect(admin.locator(".notice.decision")).toContainText("Asked for approval #");
  await decidePolicyAsSecondAdmin(browser);
  await open(admin, "/audit?action=policy.set");
  await expect(admin.locator("tr.audit-entry").first()).toContainText("require expected peer off → on");

  await open(op, `/spaces/${SPACE}`);
  await strangerRow.getByRole("button", { name: "Accept" }).click();
  let dialog = op.getByRole("dialog", { name: "Accept peering" });
  await expect(dialog.locator(".marker.unexpected")).toBeVisible();
  await dialog.getByRole("button", { name: "Accept peering" }).click();
  await expect(op.locator("p.error")).toContainText("matches no expected peer");
  const direct = await callFromPage(op, "accept_peering", { space: SPACE, pcx_id: stranger });
  expect(direct.status).toBe(400);
  await expect(strangerRow).toHaveAttribute("data-status", "pending-acceptance");

  await oursRow.getByRole("button", { name: "Accept" }).click();
  dialog = op.getByRole("dialog", { name: "Accept peering" });
  await expect(dialog.locator(".marker.expected")).toBeVisible();
  await dialog.getByRole("button", { name: "Accept peering" }).click();
  await expect(op.locator(".notice").first()).toContainText(`Accepted ${ours}`);
  // Met, the expectation is used up.
  await expect(op.locator("tr.expected-peer")).toHaveCount(0);

  // The policy goes back to a new console's, for whoever runs next:
  // raising the count alone is saved at once...
  await open(admin, "/settings");
  await admin.locator('tr[data-kind="peering.accept"] select').selectOption("1");
  await admin.getByRole("button", { name: "Save" }).click();
  await expect(admin.locator(".notice")).toContainText("Policy changed");
  // ...turning "expected only" off again waits for the other admin.
  await open(admin, "/settings");
  await admin.locator('input[name="require_expected_peer"]').uncheck();
  await admin.locator(".policy-form textarea.reason").fill("back to a new console's policy");
  await admin.getByRole("button", { name: "Request approval" }).click();
  await expect(admin.locator(".notice.decision")).toContainText("Asked for approval #");
  await decidePolicyAsSecondAdmin(browser);
});

/** The second admin approves the policy change waiting in their inbox. */
async function decidePolicyAsSecondAdmin(browser: Browser) {
  const carol = await person(browser, "admin2", "/inbox");
  const card = carol.locator('.to-decide .approval[data-target="approval policy"]');
  await expect(card).toBeVisible({ timeout: 10_000 });
  await card.getByRole("button", { name: "Approve" }).click();
  await expect(carol.locator(".notice.decision")).toContainText("Policy changed");
  await carol.context().close();
}

test("inviting an admin waits for another admin, who is shown the one-time password once", async ({ browser }) => {
  const admin = await person(browser, "admin", "/users");
  const invite = admin.locator("section.invite");
  await invite.locator('input[name="name"]').fill(`e2e-second-${Date.now() % 100000}`);
  // A viewer decides nothing: invited at once, no reason asked.
  await expect(invite.locator("textarea.reason")).toBeHidden();
  await invite.locator('select[name="role"]').selectOption("admin");
  await expect(invite.locator("textarea.reason")).toBeVisible();
  await invite.locator("textarea.reason").fill("on call for the weekend");
  await invite.getByRole("button", { name: "Request approval" }).click();
  await expect(admin.locator(".notice.decision, .notice")).toContainText("Asked for approval #");

  const carol = await person(browser, "admin2", "/inbox");
  const card = carol.locator('.to-decide .approval[data-state="pending"]').filter({ hasText: "user.invite" });
  await expect(card).toBeVisible({ timeout: 10_000 });
  await expect(card.locator(".snapshot")).toContainText("role admin");
  await card.getByRole("button", { name: "Approve" }).click();
  await expect(carol.locator(".notice")).toContainText("Invited");
  await expect(carol.locator(".notice code")).toHaveText(/^\S{20}$/);
  await expect(carol.locator(".notice")).toContainText("one-time password");
});
