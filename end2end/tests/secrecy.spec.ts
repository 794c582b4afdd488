import { expect, test } from "@playwright/test";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import { open } from "./signin";

// Runs after every other browser test (see the projects in
// playwright.config.ts), so the console has served pages, answered server
// functions, written its log and its audit history for a whole run.
const token = process.env.SPACEPORT_E2E_TOKEN ?? "";
const log = process.env.SPACEPORT_E2E_LOG ?? "";
const db = process.env.SPACEPORT_E2E_DB ?? "";
const sim = `http://127.0.0.1:${Number(process.env.SPACEPORT_E2E_PORT ?? 3100) + 1}`;

test("the provider token is in no page, script, answer, log line or audit row", async ({ page, request }) => {
  expect(token.length).toBeGreaterThan(20);
  // The token is real: the simulated provider refuses a call without it
  // and answers one with it.
  expect((await request.get(`${sim}/spaces`)).status()).toBe(401);
  const authed = await request.get(`${sim}/spaces`, {
    headers: { Authorization: `Bearer ${token}`, Accept: "application/vnd.heroku+json; version=3" },
  });
  expect(authed.status()).toBe(200);

  // Every page, as an admin (who sees the most).
  const pages = [
    "/",
    "/spaces/spaces-peering-example",
    "/spaces/spaces-peering-example/addons/redis-sushi-12345",
    "/audit",
    "/users",
    "/inbox",
    "/settings",
    "/notifications",
    "/password",
  ];
  const seen: string[] = [];
  for (const url of pages) {
    await open(page, url, "admin");
    seen.push(await page.content());
  }
  // Every script and style the pages load.
  const assets = new Set<string>();
  for (const html of seen) {
    for (const m of html.matchAll(/(?:src|href)="(\/pkg\/[^"]+)"/g)) assets.add(m[1]);
  }
  expect(assets.size).toBeGreaterThan(0);
  for (const a of assets) {
    const res = await page.request.get(a);
    expect(res.status()).toBe(200);
    seen.push((await res.body()).toString("latin1"));
  }
  // Every server function that answers with data.
  const calls: [string, Record<string, string>][] = [
    ["overview", {}],
    ["space", { space: "spaces-peering-example" }],
    ["data_addons", { space: "spaces-peering-example" }],
    ["privatelink", { space: "spaces-peering-example", addon: "redis-sushi-12345" }],
    ["audit", {}],
    ["users", {}],
    ["notifications", {}],
  ];
  for (const [name, form] of calls) {
    // Said to come from the console's own pages, as a browser's fetch does.
    const res = await page.request.post(`/api/${name}`, { form, headers: { "Sec-Fetch-Site": "same-origin" } });
    expect(res.status(), name).toBe(200);
    seen.push(await res.text());
  }
  for (const text of seen) expect(text.includes(token)).toBe(false);

  // The console's whole output, and the database: a SQLite file with its
  // write-ahead log (SQLite keeps text as it is, so a byte search finds
  // any copy), or all of a PostgreSQL database as pg_dump writes it.
  const output = fs.readFileSync(log, "utf8");
  expect(output).toContain("Spaceport is listening");
  expect(output.includes(token)).toBe(false);
  const stored = db.startsWith("postgres://")
    ? execFileSync(process.env.SPACEPORT_E2E_PG_DUMP ?? "pg_dump", ["--data-only", db], { maxBuffer: 1 << 28 })
    : Buffer.concat([db, `${db}-wal`].filter((f) => fs.existsSync(f)).map((f) => fs.readFileSync(f)));
  expect(stored.length).toBeGreaterThan(0);
  expect(stored.includes(Buffer.from(token))).toBe(false);
  // The history is there to search: it holds this run's actions.
  expect(stored.includes(Buffer.from("peering.accept"))).toBe(true);
});
