import { defineConfig } from "@playwright/test";
import * as os from "node:os";
import * as path from "node:path";

// The console under test: the binary cargo-leptos built, on the embedded
// simulated provider, with a fresh SQLite file, from the repository root
// (where target/site is). Time runs 30x faster: provisioning takes 2 s.
const port = Number(process.env.SPACEPORT_E2E_PORT ?? 3100);
// The embedded simulator's control surface, which tests use as the AWS side.
const simPort = port + 1;
const bin = process.env.SPACEPORT_BIN ?? "target/debug/spaceport";
const db = path.join(os.tmpdir(), `spaceport-e2e-${Date.now()}.db`);
// A second console in real time with a 5-second PrivateLink wait limit, to
// see a page stop following a PrivateLink that is still provisioning.
const slowPort = port + 3;
const slowDb = path.join(os.tmpdir(), `spaceport-e2e-slow-${Date.now()}.db`);

export default defineConfig({
  testDir: "./tests",
  timeout: 60_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [["list"]],
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    screenshot: "only-on-failure",
    launchOptions: {
      // Debian's Chromium; Playwright never downloads a browser here.
      executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    },
  },
  webServer: [{
    command: `${bin} --listen 127.0.0.1:${port} --database ${db} --sim-time-scale 30 --refresh-secs 1 --operator e2e-operator --sim-listen 127.0.0.1:${simPort}`,
    cwd: "..",
    url: `http://127.0.0.1:${port}/`,
    timeout: 60_000,
    reuseExistingServer: false,
    stdout: "pipe",
    stderr: "pipe",
  }, {
    command: `${bin} --listen 127.0.0.1:${slowPort} --database ${slowDb} --sim-time-scale 1 --privatelink-wait-secs 5`,
    cwd: "..",
    url: `http://127.0.0.1:${slowPort}/`,
    timeout: 60_000,
    reuseExistingServer: false,
    stdout: "ignore",
    stderr: "pipe",
  }],
});
