// The web app in a real browser (Debian's Chromium, driven by playwright-core) against a real
// server and database: a team signs up, sets a goal and sees its burn-up move as measurements
// come in; a fan joins the board in a second browser, submits and votes an idea, and the
// dashboard shows it among the suggestions without a reload; a post is approved, a channel
// paused, and the dashboard replayed at a past date. axe-core checks every page; each page
// is photographed under target/web-e2e/.
//
// Needs STRIDE_URL (a served API, see .ci/on-fresh-server) and Chromium (CHROMIUM, else
// /usr/bin/chromium). Run: npm run e2e (in web/).

import assert from "node:assert/strict";
import { mkdir, readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";

import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";

import { Provider } from "./provider.js";


const here = dirname(fileURLToPath(import.meta.url));
const shots = join(here, "..", "..", "target", "web-e2e");
const base = process.env.STRIDE_URL ?? "";
const axeSource = await readFile(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

/** The API as a tool beside the browser calls it: JSON in and out, the status checked. */
async function call(
  token: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<any> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: {
      Authorization: `Bearer ${token}`,
      // A read waits for every write made so far, the browser's included (a position past
      // the newest is read as the newest).
      ...(method === "GET" ? { "Stride-Min-Position": "9223372036854775807" } : {}),
      ...(body === undefined ? {} : { "Content-Type": "application/json" }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  assert.ok(response.ok, `${method} ${path}: ${response.status} ${text}`);
  return text === "" ? undefined : JSON.parse(text);
}

/** Days from today, as YYYY-MM-DD. */
function dayFromToday(offset: number): string {
  return new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
}

/** axe-core on the page as it is: no serious or critical violation. */
async function accessible(page: Page, name: string): Promise<void> {
  await page.addScriptTag({ content: axeSource });
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: (o: unknown) => Promise<{ violations: { id: string; impact: string; help: string; nodes: { target: string[] }[] }[] }> } }).axe;
    const result = await axe.run({ resultTypes: ["violations"] });
    return result.violations
      .filter((v) => v.impact === "serious" || v.impact === "critical")
      .map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
  });
  assert.deepEqual(violations, [], `accessibility of ${name}`);
}

/** A full-page photograph, and nothing wider than the viewport. */
async function photograph(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
  const overflow = await page.evaluate(
    () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
  );
  assert.ok(overflow <= 1, `${name} scrolls sideways by ${overflow}px`);
}

/** No page error reached the console or the page as a raw exception. */
function watchErrors(page: Page, errors: string[]): void {
  page.on("pageerror", (error) => errors.push(error.message));
}

describe("the reference web app", { concurrency: false }, () => {
  // Each step builds on the one before: after a failure the rest are skipped, not failed.
  let failed = false;
  const step = (name: string, body: () => Promise<void>) =>
    test(name, async (t) => {
      if (failed) {
        t.skip("an earlier step failed");
        return;
      }
      try {
        await body();
      } catch (error) {
        failed = true;
        throw error;
      }
    });
  let browser: Browser;
  let team: BrowserContext;
  let fan: BrowserContext;
  let dashboard: Page;
  const errors: string[] = [];
  const slug = `e2e-${Date.now().toString(36)}`;
  let token = "";

  before(async () => {
    assert.ok(base !== "", "STRIDE_URL names the server under test");
    await mkdir(shots, { recursive: true });
    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
      args: ["--no-sandbox", "--disable-dev-shm-usage"],
    });
    // The pages forbid inline scripts; axe-core is injected as one, so the tests lift that.
    team = await browser.newContext({ baseURL: base, viewport: { width: 1280, height: 900 }, bypassCSP: true });
    fan = await browser.newContext({ baseURL: base, viewport: { width: 390, height: 844 }, bypassCSP: true });
    team.setDefaultTimeout(10_000);
    fan.setDefaultTimeout(10_000);
    dashboard = await team.newPage();
    watchErrors(dashboard, errors);
  });

  after(async () => {
    await browser?.close();
    assert.deepEqual(errors, [], "no uncaught error in any page");
  });

  step("a team signs up in the dashboard and is handed its token once", async () => {
    await dashboard.goto("/app/");
    await accessible(dashboard, "sign-in");
    await photograph(dashboard, "01-sign-in");
    // The ways in are tabs the arrow keys move between.
    await dashboard.getByRole("tab", { name: "Sign in with a token" }).focus();
    await dashboard.keyboard.press("ArrowRight");
    const focused = () => dashboard.evaluate(() => document.activeElement?.textContent ?? "");
    assert.equal(await focused(), "Sign in with your company account");
    await dashboard.keyboard.press("End");
    assert.equal(await focused(), "Start a team");
    assert.equal(
      await dashboard.getByRole("tab", { name: "Start a team" }).getAttribute("aria-selected"),
      "true",
    );
    await dashboard.getByLabel("Team name", { exact: true }).fill("Lakeside Bakery");
    await dashboard.getByLabel("Board address", { exact: true }).fill(slug);
    await dashboard.getByLabel("Your name", { exact: true }).fill("Olivia");
    await dashboard.getByLabel("Your email", { exact: true }).fill("olivia@example.com");
    await dashboard.getByRole("button", { name: "Start the team" }).click();
    token = (await dashboard.locator("code.secret").textContent()) ?? "";
    assert.match(token, /\S{20,}/);
    await dashboard.getByRole("button", { name: "Open the dashboard" }).click();
    await dashboard.getByRole("heading", { name: "Progress" }).waitFor();
    assert.equal(await dashboard.locator(".brand strong").textContent(), "Lakeside Bakery");
    // The first Tab reaches the link past the header.
    await dashboard.keyboard.press("Tab");
    assert.equal(
      await dashboard.evaluate(() => document.activeElement?.textContent ?? ""),
      "Skip to the dashboard",
    );
  });

  step("a refused form says why in words", async () => {
    const page = await team.newPage();
    watchErrors(page, errors);
    await page.goto("/app/");
    // The session is kept in this tab's storage only: a new tab signs in again.
    await page.getByRole("button", { name: "Sign in" }).waitFor();
    await page.getByLabel("Token", { exact: true }).fill("not-a-token");
    await page.getByRole("button", { name: "Sign in" }).click();
    const alert = page.getByRole("alert").filter({ hasText: /token/i });
    await alert.waitFor();
    assert.doesNotMatch((await alert.textContent()) ?? "", /Error:|at \w+ \(|undefined/);
    await page.close();
  });

  step("a channel, a goal and measurements: the burn-up moves", async () => {
    await dashboard.getByText("Add a channel").click();
    await dashboard.getByLabel("Platform", { exact: true }).selectOption("instagram");
    await dashboard.getByLabel("Handle", { exact: true }).fill("@lakeside");
    await dashboard.getByRole("button", { name: "Add the channel" }).click();
    await dashboard.locator("#channels tbody th", { hasText: "@lakeside" }).waitFor();

    // Two weeks of followers, through the API as a tool would send them.
    const teamId: string = (await call(token, "GET", "/v1/me")).team.id;
    const channelId: string = (await call(token, "GET", `/v1/teams/${teamId}`)).channels[0].id;
    const observations = Array.from({ length: 14 }, (_, i) => ({
      channel_id: channelId,
      metric: "followers" as const,
      value: 1000 + i * 5,
      observed_at: `${dayFromToday(i - 14)}T12:00:00Z`,
    }));
    await call(token, "POST", `/v1/teams/${teamId}/metrics`, { observations });

    await dashboard.getByText("Set a goal").click();
    await dashboard.getByLabel("Goal", { exact: true }).fill("1,200 followers on Instagram");
    await dashboard.getByLabel("Reach", { exact: true }).fill("1200");
    await dashboard.getByLabel("Starting from", { exact: true }).fill("1000");
    await dashboard.getByLabel("Starts on", { exact: true }).fill(dayFromToday(-14));
    await dashboard.getByLabel("Due on", { exact: true }).fill(dayFromToday(30));
    await dashboard.getByRole("button", { name: "Set the goal" }).click();
    const goal = dashboard.locator(".goal", { hasText: "1,200 followers on Instagram" });
    const caption = goal.locator("figcaption");
    await caption.waitFor();
    assert.ok(await goal.locator("canvas").count() >= 1, "the burn-up is drawn");
    assert.match((await caption.textContent()) ?? "", /Measured 1,065/);

    // Today's number, entered in the dashboard: the chart follows.
    await dashboard.getByText("Record a measurement").click();
    await dashboard.getByLabel("Value", { exact: true }).fill("1110");
    await dashboard.getByRole("button", { name: "Record", exact: true }).click();
    await goal.locator("figcaption", { hasText: "Measured 1,110" }).waitFor();
    await accessible(dashboard, "dashboard");
    await photograph(dashboard, "02-dashboard");
  });

  let ideaTitle = "";

  step("a fan joins the board, submits and votes; the dashboard suggests it live", async () => {
    const board = await fan.newPage();
    watchErrors(board, errors);
    await board.goto(`/b/${slug}`);
    await board.getByRole("heading", { name: "Ideas" }).waitFor();
    await accessible(board, "board before joining");
    await board.getByLabel("Your name (shown with your ideas)", { exact: true }).fill("Sam");
    await board.getByRole("button", { name: "Join the board" }).click();

    ideaTitle = "Behind the scenes: a morning at the ovens";
    await board.getByLabel("Idea", { exact: true }).fill(ideaTitle);
    await board.getByLabel("Tags (optional, comma-separated)", { exact: true }).fill("video, bakery");
    await board.getByRole("button", { name: "Submit the idea" }).click();
    await board.getByText("your idea is on the board").waitFor();
    const idea = board.locator(".idea", { hasText: ideaTitle });
    await idea.waitFor();

    // A second idea like the first is shown the first while it is typed.
    await board.getByLabel("Idea", { exact: true }).fill("Behind the scenes at the ovens");
    await board.locator(".similar", { hasText: ideaTitle }).waitFor();
    await board.getByLabel("Idea", { exact: true }).fill("");

    await idea.getByRole("button", { name: `Vote for ${ideaTitle}` }).click();
    await idea.locator(".count", { hasText: "1" }).waitFor();
    await idea.getByRole("button", { name: "Details and comments" }).click();
    await idea.getByLabel("Your comment", { exact: true }).fill("Yes please, with the sourdough!");
    await idea.getByRole("button", { name: "Comment" }).click();
    await idea.getByText("Yes please, with the sourdough!").waitFor();
    await accessible(board, "board");
    await photograph(board, "03-board-phone");

    // Withdrawn and given again: the count follows.
    await idea.getByRole("button", { name: `Withdraw your vote from ${ideaTitle}` }).click();
    await idea.locator(".count", { hasText: "0" }).waitFor();
    await idea.getByRole("button", { name: `Vote for ${ideaTitle}` }).click();
    await idea.locator(".count", { hasText: "1" }).waitFor();

    // The dashboard, never reloaded, hears it over the stream.
    await dashboard.locator("#suggestions .item", { hasText: ideaTitle }).waitFor({ timeout: 15_000 });
    await dashboard.locator("#activity .feed li", { hasText: ideaTitle }).first().waitFor({ timeout: 15_000 });
    assert.equal(await dashboard.locator("#activity .live").textContent(), "Live");
  });

  step("a post drafted from the idea is reviewed and approved", async () => {
    const suggestion = dashboard.locator("#suggestions .item", { hasText: ideaTitle });
    await suggestion.getByRole("button", { name: "Draft a post from this idea" }).click();
    await suggestion.getByRole("button", { name: "Save the draft" }).click();
    await suggestion.getByText("Draft saved.").waitFor();

    // A teammate submits it for review, through the API.
    const teamId: string = (await call(token, "GET", "/v1/me")).team.id;
    const drafts = await call(token, "GET", `/v1/teams/${teamId}/posts?status=draft`);
    const post = drafts.items.find((p: { idea_id?: string | null }) => typeof p.idea_id === "string");
    assert.ok(post, "the draft is made from the idea");
    await call(token, "POST", `/v1/teams/${teamId}/posts/${post.id}/submit`, {});

    const item = dashboard.locator("#review .item", { hasText: ideaTitle });
    await item.waitFor({ timeout: 15_000 });
    await item.getByRole("button", { name: "Approve" }).click();
    await item.waitFor({ state: "detached", timeout: 15_000 });
    const approved = await call(token, "GET", `/v1/teams/${teamId}/posts/${post.id}`);
    assert.equal(approved.approved, true);
  });

  step("a channel is paused with a reason", async () => {
    const row = dashboard.locator("#channels tr.actions").first();
    await row.getByLabel(/New status of/).selectOption("paused");
    await row.getByLabel(/Reason for/).fill("Resting it while we film the bakery series");
    await row.getByRole("button", { name: "Change" }).click();
    await dashboard.locator("#channels tbody tr", { hasText: "paused" }).first().waitFor();
    await dashboard
      .locator("#activity .feed li", { hasText: /paused/i })
      .first()
      .waitFor({ timeout: 15_000 });
  });

  step("time travel replays the dashboard at a past date", async () => {
    const goal = dashboard.locator(".goal", { hasText: "1,200 followers on Instagram" });
    await dashboard.getByLabel("As of", { exact: true }).fill(dayFromToday(-7));
    await dashboard.getByText(`Showing the dashboard as it was at the end of ${dayFromToday(-7)}`).waitFor();
    // A week ago the last measurement was that day's.
    await goal.locator("figcaption", { hasText: "Measured 1,035" }).waitFor();
    assert.equal(await dashboard.getByRole("button", { name: "Set the goal" }).count(), 0, "no changes while looking back");
    // The team was started today: a week ago its feed was empty.
    await dashboard.locator("#activity", { hasText: "Nothing had happened by then." }).waitFor();
    await accessible(dashboard, "dashboard looking back");
    await photograph(dashboard, "04-time-travel");
    await dashboard.getByRole("button", { name: "Now" }).click();
    await goal.locator("figcaption", { hasText: "Measured 1,110" }).waitFor();
    await dashboard.locator("#activity .feed li", { hasText: "Lakeside Bakery was created" }).waitFor();
  });

  step("a teammate signs in through the team's provider with PKCE, accepting an invitation", async () => {
    const provider = await Provider.start("stride-dashboard", { email: "ben@example.com", name: "Ben" });
    try {
      const teamId: string = (await call(token, "GET", "/v1/me")).team.id;
      await call(token, "PATCH", `/v1/teams/${teamId}`, {
        sso: { issuer: provider.issuer, audience: "stride-dashboard" },
      });
      await call(token, "POST", `/v1/teams/${teamId}/invitations`, {
        email: "ben@example.com",
        role: "member",
        name: "Ben",
      });
      const context = await browser.newContext({ baseURL: base, bypassCSP: true });
      context.setDefaultTimeout(10_000);
      const page = await context.newPage();
      watchErrors(page, errors);
      await page.goto("/app/");
      await page.getByRole("tab", { name: "Sign in with your company account" }).click();
      await page.getByLabel("Team address", { exact: true }).fill(slug);
      await accessible(page, "sign-in with a provider");
      await page.getByRole("button", { name: "Continue" }).click();
      // To the provider and back, then the code is traded for an ID token.
      await page.getByRole("heading", { name: "Progress" }).waitFor();
      assert.equal(await page.locator(".brand .muted").textContent(), "Ben · member");
      assert.equal(provider.exchanges, 1, "one code traded, with its verifier");
      assert.equal(new URL(page.url()).search, "", "the code leaves the address bar");
      await context.close();
    } finally {
      await provider.stop();
    }
  });

  step("the dashboard fits a phone", async () => {
    await dashboard.setViewportSize({ width: 390, height: 844 });
    await dashboard.getByRole("heading", { name: "Progress" }).waitFor();
    await photograph(dashboard, "05-dashboard-phone");
  });

  step("a revoked token ends the session, saying why", async () => {
    const teamId: string = (await call(token, "GET", "/v1/me")).team.id;
    const mine = await call(token, "GET", `/v1/teams/${teamId}/tokens`);
    assert.equal(mine.items.length, 1, "the owner holds one token");
    await call(token, "DELETE", `/v1/teams/${teamId}/tokens/${mine.items[0].id}`);
    // The live stream ends within a second of the revocation; reconnecting is refused.
    await dashboard
      .getByRole("alert")
      .filter({ hasText: /^The token is unknown, revoked, or its member left the team\. Sign in again\.$/ })
      .waitFor({ timeout: 15_000 });
    await dashboard.getByRole("tab", { name: "Sign in with a token" }).waitFor();
    assert.equal(await dashboard.evaluate(() => sessionStorage.getItem("stride.token")), null);
  });
});
