// The starter site in a real headless Chromium, through the local ALB emulator in both
// target-group header modes. scripts/e2e.sh starts the emulators and sets the variables.
import { expect, test, type Page } from "@playwright/test";
import { readFileSync } from "node:fs";

const modes = [
  { name: "multi-value", baseURL: process.env.MULTI_URL!, log: process.env.MULTI_LOG! },
  { name: "single-value", baseURL: process.env.SINGLE_URL!, log: process.env.SINGLE_LOG! },
];

/** Collects console errors and uncaught exceptions (a wasm panic shows up as one of them). */
function watchForErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(`console: ${message.text()}`);
  });
  page.on("pageerror", (error) => errors.push(`page error: ${error.message}`));
  return errors;
}

/** Clicks the counter until hydration has attached its handler, then proves it counts. */
async function expectHydrated(page: Page) {
  const button = page.locator("#counter");
  const count = page.locator("#count");
  await expect(async () => {
    await button.click();
    await expect(count).not.toHaveText("0", { timeout: 500 });
  }).toPass({ timeout: 20_000 });
  const before = Number(await count.textContent());
  await button.click();
  await expect(count).toHaveText(String(before + 1));
}

for (const mode of modes) {
  test.describe(`${mode.name} headers`, () => {
    test.use({ baseURL: mode.baseURL });

    test.describe("without JavaScript", () => {
      test.use({ javaScriptEnabled: false });

      test("pages are rendered on the server", async ({ page }) => {
        await page.goto("/");
        await expect(page.locator("h1")).toHaveText("Leptos SSR on AWS Lambda, behind an ALB");
        await expect(page.locator("#counter")).toHaveText("Clicked 0 times");
        await expect(page).toHaveTitle("Home · Leptos on Lambda");
        await page.goto("/preferences");
        await expect(page.locator("#current")).toHaveText("Theme: light, display name: (none)");
      });

      test("the preferences form redirects back and sets both cookies", async ({ page, context }) => {
        await page.goto("/preferences");
        await page.locator("input[name=theme][value=dark]").check();
        await page.locator("input[name=display_name]").fill("Ada");
        await Promise.all([page.waitForURL(/\/preferences/), page.locator("button[type=submit]").click()]);
        const cookies = Object.fromEntries((await context.cookies()).map((c) => [c.name, c.value]));
        if (mode.name === "multi-value") {
          expect(cookies).toEqual({ theme: "dark", display_name: "Ada" });
          await expect(page.locator("#current")).toHaveText("Theme: dark, display name: Ada");
          await expect(page.locator("html")).toHaveAttribute("data-theme", "dark");
        } else {
          // ALB's default mode delivers one set-cookie: the name is saved, the theme is lost.
          expect(cookies).toEqual({ display_name: "Ada" });
          await expect(page.locator("#current")).toHaveText("Theme: light, display name: Ada");
          await expect(page.locator("html")).toHaveAttribute("data-theme", "light");
        }
      });
    });

    test("the counter counts after hydration, with no console errors", async ({ page }) => {
      const errors = watchForErrors(page);
      await page.goto("/");
      await expectHydrated(page);
      expect(errors).toEqual([]);
    });

    test("pages hydrate under their Content-Security-Policy and carry the security headers", async ({ page }) => {
      const errors = watchForErrors(page);
      const response = await page.goto("/");
      const headers = response!.headers();
      const csp = headers["content-security-policy"];
      expect(csp).toMatch(/script-src [^;]*'nonce-[A-Za-z0-9_-]{16,}'/);
      expect(csp).toContain("frame-ancestors 'none'");
      expect(headers["x-content-type-options"]).toBe("nosniff");
      expect(headers["referrer-policy"]).toBe("strict-origin-when-cross-origin");
      // Plain HTTP to the local emulator: no HSTS (it is only sent behind HTTPS).
      expect(headers["strict-transport-security"]).toBeUndefined();
      await expectHydrated(page);
      // A CSP violation is reported as a console error.
      expect(errors).toEqual([]);
    });

    test("a cross-site form post is refused with 403", async ({ page }) => {
      await page.goto("/");
      const status = await page.evaluate(async () => {
        const response = await fetch("/api/preferences", {
          method: "POST",
          headers: { "content-type": "application/x-www-form-urlencoded" },
          body: "theme=dark&display_name=Mallory",
          // Chromium sets Origin itself; a forged one is not possible from a page, so the
          // same-origin post must pass and the test of refusal goes through the request API.
        });
        return response.status;
      });
      expect([200, 302, 303]).toContain(status);
      const refused = await page.request.post("/api/preferences", {
        headers: { origin: "https://evil.example", "content-type": "application/x-www-form-urlencoded" },
        data: "theme=dark&display_name=Mallory",
        maxRedirects: 0,
      });
      expect(refused.status()).toBe(403);
    });

    test("the hello form shows the name back exactly", async ({ page }) => {
      const errors = watchForErrors(page);
      await page.goto("/hello");
      await page.locator("input[name=name]").fill("a+b & c/d ✓");
      await Promise.all([page.waitForURL(/name=/), page.locator("button[type=submit]").click()]);
      await expect(page.locator("#hello")).toHaveText("Hello, a+b & c/d ✓!");
      expect(page.url()).toContain("name=a%2Bb+%26+c%2Fd+%E2%9C%93");
      expect(errors).toEqual([]);
    });

    test("saving preferences with JavaScript updates the page without a reload", async ({ page, context }) => {
      const errors = watchForErrors(page);
      await page.goto("/");
      await expectHydrated(page);
      await page.locator("nav a[href='/preferences']").click();
      await expect(page.locator("#current")).toHaveText("Theme: light, display name: (none)");
      // The form's island marks itself once hydrated; before that a submit is a plain POST.
      await expect(page.locator("#preferences")).toHaveAttribute("data-enhanced", "true", { timeout: 20_000 });
      await page.evaluate(() => ((window as any).__sameDocument = true));

      await page.locator("input[name=theme][value=dark]").check();
      await page.locator("input[name=display_name]").fill("Zoë & Co");
      await page.locator("button[type=submit]").click();

      const cookies = () => context.cookies().then((all) => Object.fromEntries(all.map((c) => [c.name, c.value])));
      if (mode.name === "multi-value") {
        await expect(page.locator("#current")).toHaveText("Theme: dark, display name: Zoë & Co");
        await expect(page.locator("html")).toHaveAttribute("data-theme", "dark");
        expect(await cookies()).toEqual({ theme: "dark", display_name: "Zo%C3%AB%20%26%20Co" });
      } else {
        await expect(page.locator("#current")).toHaveText("Theme: light, display name: Zoë & Co");
        await expect(page.locator("html")).toHaveAttribute("data-theme", "light");
        expect(await cookies()).toEqual({ display_name: "Zo%C3%AB%20%26%20Co" });
        // The function warned, naming the target-group attribute that fixes it.
        expect(readFileSync(mode.log, "utf8")).toContain("lambda.multi_value_headers.enabled=true");
      }
      expect(await page.evaluate(() => (window as any).__sameDocument)).toBe(true);

      // The theme persists across pages and full loads.
      await page.goto("/hello");
      const expectedTheme = mode.name === "multi-value" ? "dark" : "light";
      await expect(page.locator("html")).toHaveAttribute("data-theme", expectedTheme);
      await page.goto("/");
      await expect(page.locator("#greeting")).toHaveText("Welcome back, Zoë & Co!");
      expect(errors).toEqual([]);
    });

    test("an unknown path gets the not-found page with 404", async ({ page }) => {
      const response = await page.goto("/no/such/page");
      expect(response?.status()).toBe(404);
      await expect(page.locator("h1")).toHaveText("Page not found");
    });

    test("the wasm, JS and CSS arrive brotli-compressed", async ({ page }) => {
      const encodings = new Map<string, string | null>();
      page.on("response", async (response) => {
        const match = response.url().match(/\/pkg\/[^/?]+\.(wasm|js|css)$/);
        if (match) encodings.set(match[1], await response.headerValue("content-encoding"));
      });
      await page.goto("/");
      await expectHydrated(page);
      expect(Object.fromEntries(encodings)).toEqual({ wasm: "br", js: "br", css: "br" });
    });
  });
}
