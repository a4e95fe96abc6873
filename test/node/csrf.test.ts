import { afterAll, describe, expect, it } from "vitest";
import { json, uniqueEmail } from "../shared/harness";
import { csrfScenarios } from "../shared/csrf-scenarios";
import { createNodeHarness } from "../support/self-hosted-harness";

const harness = createNodeHarness();
afterAll(() => harness.closeAll());

describe("CSRF, CORS and token MACs on Node (libSQL file + redis-server)", () => {
  csrfScenarios(harness);

  it("behind a trusted proxy the request's own scheme is X-Forwarded-Proto's (TLS ends at the proxy)", async () => {
    const logout = async (overrides: Record<string, string>, headers: Record<string, string>) => {
      const app = await harness.app(overrides);
      const registered = await app("/api/auth/register", json({ email: uniqueEmail("proxied"), password: "correct horse battery" }));
      const { token } = ((await registered.json()) as { data: { token: string } }).data;
      return (await app("/api/auth/logout", { method: "POST", headers: { cookie: `sid=${token}`, ...headers } })).status;
    };
    // The app sees http://localhost; the browser was on https://localhost, in front of the proxy.
    expect(await logout({ TRUST_PROXY: "true" }, { origin: "https://localhost", "x-forwarded-proto": "https" })).toBe(204);
    expect(await logout({ TRUST_PROXY: "true" }, { origin: "http://localhost", "x-forwarded-proto": "https" })).toBe(403);
    // Not trusted: the header is anyone's to send, and the scheme is the app's own.
    expect(await logout({}, { origin: "https://localhost", "x-forwarded-proto": "https" })).toBe(403);
    expect(await logout({}, { origin: "http://localhost", "x-forwarded-proto": "https" })).toBe(204);
  });
});
