import { type Page } from "@playwright/test";

/** `admin2` is the second admin the four-eyes console has. */
export type Role = "viewer" | "operator" | "admin" | "admin2";

/** The users start-console.sh makes: `e2e-<role>`. */
export const password = (role: Role) => `e2e-password-${role}`;

/**
 * Opens a page, signing in as `e2e-<role>` if the console asks, and waits
 * until the browser has taken the page over (hydrated).
 */
export async function open(page: Page, url: string, role: Role = "viewer") {
  await page.goto(url);
  if (new URL(page.url()).pathname === "/signin") {
    await page.locator('input[name="name"]').fill(`e2e-${role}`);
    await page.locator('input[name="password"]').fill(password(role));
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL((u) => u.pathname !== "/signin");
  }
  await page.locator("body[data-hydrated]").waitFor();
}

/** Calls a server function from the page, with its session, as the UI would. */
export async function callFromPage(page: Page, name: string, form: Record<string, string>) {
  return page.evaluate(
    async ([name, form]) => {
      const res = await fetch(`/api/${name}`, {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams(form),
      });
      return { status: res.status, body: await res.text() };
    },
    [name, form] as const,
  );
}
