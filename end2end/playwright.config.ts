import { defineConfig } from "@playwright/test";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

// The console under test: the binary cargo-leptos built, with a fresh
// SQLite file, or the PostgreSQL databases scripts/test.sh makes
// (SPACEPORT_E2E_DB and SPACEPORT_E2E_FOUR_EYES_DB, with the audit key in
// SPACEPORT_E2E_KEY), from the repository root (where target/site is). Its
// provider is the simulator run on its own, with a token of this run, as a
// real provider would be; time runs 30x faster (provisioning takes 2 s).
// Its users (e2e-viewer, e2e-operator, e2e-admin) are made by
// start-console.sh with `spaceport user add`.
const port = Number(process.env.SPACEPORT_E2E_PORT ?? 3100);
// The simulator: its Platform API and control surface (the AWS side, which
// tests drive), and its Data API on the next port.
const simPort = port + 1;
const bin = process.env.SPACEPORT_BIN ?? "target/debug/spaceport";
// Set once, in the runner; the workers inherit them.
process.env.SPACEPORT_E2E_TOKEN ??= `e2e-${Date.now()}-${Math.random().toString(36).slice(2)}-token`;
process.env.SPACEPORT_E2E_DB ??= path.join(os.tmpdir(), `spaceport-e2e-${Date.now()}.db`);
process.env.SPACEPORT_E2E_LOG ??= path.join(os.tmpdir(), `spaceport-e2e-${Date.now()}.log`);
const token = process.env.SPACEPORT_E2E_TOKEN;
const db = process.env.SPACEPORT_E2E_DB;
const log = process.env.SPACEPORT_E2E_LOG;
// A second console in real time on the embedded simulator, with a 5-second
// PrivateLink wait limit, to see a page stop following a PrivateLink that is
// still provisioning.
const slowPort = port + 3;
const slowDb = path.join(os.tmpdir(), `spaceport-e2e-slow-${Date.now()}.db`);
const slowLog = path.join(os.tmpdir(), `spaceport-e2e-slow-${Date.now()}.log`);
// A third console, with a new console's policy (accepts and destroys wait
// for another person), on a simulator of its own whose control surface
// the approvals tests drive: their requests never show on the others.
const fourEyesPort = port + 6;
const fourEyesSim = port + 4;
const fourEyesDb = process.env.SPACEPORT_E2E_FOUR_EYES_DB ?? path.join(os.tmpdir(), `spaceport-e2e-four-eyes-${Date.now()}.db`);
const fourEyesLog = path.join(os.tmpdir(), `spaceport-e2e-four-eyes-${Date.now()}.log`);
// A fourth, on the embedded simulator, whose history was edited before it
// started: every page it serves carries the integrity alarm.
const tamperedPort = port + 7;
const tamperedDb = path.join(os.tmpdir(), `spaceport-e2e-tampered-${Date.now()}.db`);
const tamperedLog = path.join(os.tmpdir(), `spaceport-e2e-tampered-${Date.now()}.log`);

// A fifth, on the embedded simulator, signing people in through the test
// identity provider (end2end/oidc/provider.mjs, oidc-provider on loopback),
// whose users and groups live in a file the SSO tests rewrite.
const idpPort = port + 8;
const ssoPort = port + 9;
process.env.SPACEPORT_E2E_IDP_STATE ??= path.join(os.tmpdir(), `spaceport-e2e-idp-${Date.now()}.json`);
const idpState = process.env.SPACEPORT_E2E_IDP_STATE;
if (!fs.existsSync(idpState)) {
  fs.writeFileSync(idpState, JSON.stringify({ users: {}, clock_offset_secs: 0 }));
}
const ssoDb = path.join(os.tmpdir(), `spaceport-e2e-sso-${Date.now()}.db`);
const ssoLog = path.join(os.tmpdir(), `spaceport-e2e-sso-${Date.now()}.log`);

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
  // The token-secrecy check runs once everything else has.
  projects: [
    { name: "console", testIgnore: /secrecy/ },
    { name: "secrecy", testMatch: /secrecy/, dependencies: ["console"] },
  ],
  webServer: [{
    command: `${bin} sim --listen 127.0.0.1:${simPort} --data-listen 127.0.0.1:${simPort + 1} --time-scale 30`,
    cwd: "..",
    env: { SPACEPORT_SIM_TOKEN: token },
    url: `http://127.0.0.1:${simPort}/_sim/health`,
    timeout: 60_000,
    reuseExistingServer: false,
    stdout: "ignore",
    stderr: "pipe",
  }, {
    command: `bash end2end/start-console.sh ${bin} ${db} ${log} --listen 127.0.0.1:${port} --refresh-secs 1 --api-url http://127.0.0.1:${simPort} --data-api-url http://127.0.0.1:${simPort + 1}`,
    cwd: "..",
    // As a deployment would: the token in the environment, logging requests too.
    env: {
      HEROKU_API_KEY: token,
      RUST_LOG: "info,tower_http=debug",
      SPACEPORT_E2E_POLICY: "peering.accept=0 peering.destroy=0 privatelink.destroy=0",
    },
    url: `http://127.0.0.1:${port}/signin`,
    timeout: 60_000,
    reuseExistingServer: false,
    stdout: "pipe",
    stderr: "pipe",
  }, {
    command: `${bin} sim --listen 127.0.0.1:${fourEyesSim} --data-listen 127.0.0.1:${fourEyesSim + 1} --time-scale 30`,
    cwd: "..",
    env: { SPACEPORT_SIM_TOKEN: token },
    url: `http://127.0.0.1:${fourEyesSim}/_sim/health`,
    timeout: 60_000,
    reuseExistingServer: false,
    stdout: "ignore",
    stderr: "pipe",
  }, {
    command: `bash end2end/start-console.sh ${bin} ${fourEyesDb} ${fourEyesLog} --listen 127.0.0.1:${fourEyesPort} --refresh-secs 1 --api-url http://127.0.0.1:${fourEyesSim} --data-api-url http://127.0.0.1:${fourEyesSim + 1}`,
    cwd: "..",
    env: { HEROKU_API_KEY: token, SPACEPORT_E2E_SECOND_ADMIN: "1" },
    url: `http://127.0.0.1:${fourEyesPort}/signin`,
    timeout: 60_000,
    reuseExistingServer: false,
    stdout: "ignore",
    stderr: "pipe",
  }, {
    command: `bash end2end/start-console.sh ${bin} ${slowDb} ${slowLog} --listen 127.0.0.1:${slowPort} --sim-time-scale 1 --privatelink-wait-secs 5`,
    cwd: "..",
    url: `http://127.0.0.1:${slowPort}/signin`,
    timeout: 60_000,
    reuseExistingServer: false,
    stdout: "ignore",
    stderr: "pipe",
  }, {
    command: `bash end2end/start-console.sh ${bin} ${tamperedDb} ${tamperedLog} --listen 127.0.0.1:${tamperedPort}`,
    cwd: "..",
    env: { SPACEPORT_E2E_TAMPER: "1" },
    url: `http://127.0.0.1:${tamperedPort}/signin`,
    timeout: 60_000,
    reuseExistingServer: false,
    stdout: "ignore",
    stderr: "pipe",
  }, {
    command: `node end2end/oidc/provider.mjs ${idpPort} ${idpState}`,
    cwd: "..",
    url: `http://127.0.0.1:${idpPort}/.well-known/openid-configuration`,
    timeout: 60_000,
    reuseExistingServer: false,
    stdout: "ignore",
    stderr: "pipe",
  }, {
    command: `bash end2end/start-console.sh ${bin} ${ssoDb} ${ssoLog} --listen 127.0.0.1:${ssoPort} --oidc-issuer http://127.0.0.1:${idpPort} --oidc-client-id spaceport --oidc-name "Test IdP" --oidc-viewer-groups sp-viewers --oidc-operator-groups sp-operators --oidc-admin-groups sp-admins --local-sign-in break-glass --break-glass-admins e2e-admin`,
    cwd: "..",
    env: { SPACEPORT_OIDC_CLIENT_SECRET: "spaceport-test-secret" },
    url: `http://127.0.0.1:${ssoPort}/signin`,
    timeout: 60_000,
    reuseExistingServer: false,
    stdout: "ignore",
    stderr: "pipe",
  }],
});
