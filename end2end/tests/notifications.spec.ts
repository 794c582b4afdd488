import { expect, test } from "@playwright/test";
import { createHmac } from "node:crypto";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { callFromPage, open } from "./signin";

/** A webhook receiver on a loopback port of this test, keeping what it gets. */
async function receiver() {
  const got: { headers: http.IncomingHttpHeaders; body: string }[] = [];
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (chunk) => (body += chunk));
    req.on("end", () => {
      got.push({ headers: req.headers, body });
      res.writeHead(204);
      res.end();
    });
  });
  await new Promise<void>((ready) => server.listen(0, "127.0.0.1", ready));
  const { port } = server.address() as AddressInfo;
  return { got, url: `http://127.0.0.1:${port}/hook`, close: () => server.close() };
}

test("an admin adds a signed webhook, sends a test, and sees it delivered", async ({ page }) => {
  const hook = await receiver();
  try {
    await open(page, "/notifications", "admin");
    await expect(page.locator("nav")).toContainText("Notifications");
    const form = page.locator(".add-webhook");
    await form.locator('input[name="name"]').fill("e2e receiver");
    // Checked in the browser as it is typed, and again by the server.
    await form.locator('input[name="url"]').fill("ftp://example.com/x");
    await expect(form.locator(".error")).toContainText("starts with https://");
    await expect(form.getByRole("button", { name: "Add" })).toBeDisabled();
    await form.locator('input[name="url"]').fill(hook.url);
    await form.getByRole("button", { name: "Add" }).click();
    await expect(page.locator(".added")).toContainText('Added the webhook "e2e receiver"');
    const secret = (await page.locator(".added code").textContent()) ?? "";
    expect(secret).toMatch(/^whsec_[0-9a-f]{64}$/);

    const destination = page.locator(".destination", { hasText: "e2e receiver" });
    // The page shows the host, never the rest of the URL.
    await expect(destination.locator("h3 code")).toHaveText(/^http:\/\/127\.0\.0\.1:\d+\/…$/);
    await destination.getByRole("button", { name: "Send a test" }).click();
    await expect(page.locator(".notice")).toContainText("Queued test event");
    // The page reads itself again: the attempt and its status appear.
    const delivery = destination.locator("tr.delivery").first();
    await expect(delivery).toHaveAttribute("data-state", "delivered");
    await expect(delivery.locator("li.attempt").first()).toHaveAttribute("data-status", "204");

    // What arrived is signed with the secret the page showed once.
    expect(hook.got.length).toBe(1);
    const { headers, body } = hook.got[0];
    expect(JSON.parse(body).kind).toBe("test");
    const signature = String(headers["spaceport-signature"]);
    const t = /t=(\d+)/.exec(signature)?.[1];
    const mac = createHmac("sha256", secret).update(`${t}.${body}`).digest("hex");
    expect(signature).toBe(`t=${t},v1=${mac}`);

    // The secret is not in the page any more once it is read again.
    await page.reload();
    await page.locator("body[data-hydrated]").waitFor();
    expect(await page.content()).not.toContain(secret);
    await page.locator(".destination", { hasText: "e2e receiver" }).getByRole("button", { name: "Remove" }).click();
    await expect(page.locator(".destination", { hasText: "e2e receiver" })).toHaveCount(0);
  } finally {
    hook.close();
  }
});

test("nobody but an admin reaches notifications", async ({ page }) => {
  await open(page, "/", "operator");
  await expect(page.locator("nav")).not.toContainText("Notifications");
  const refused = await callFromPage(page, "add_webhook", {
    name: "x",
    url: "https://example.com/x",
    format: "json",
    kinds: "peering.requested",
  });
  expect(refused.status).toBe(403);
  expect(refused.body).toContain("cannot manage notifications");
});
