/**
 * @module
 * The dashboard: its page (public; what it shows comes from the admin endpoints, which it
 * calls itself) and the stylesheet and script it links, served from bodies made once per app.
 * The files themselves are in ../dashboard/.
 */
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { AppError } from "../../errors";
import { memoize } from "../../memo";
import type { DashboardFile, DocsAssets } from "../docs-assets";
import type { AppEnv } from "../env";
import { setHeader } from "../response-headers";
import { contentHash, makeStaticBody, serveStaticBody, type StaticBody } from "../static-body";
import { apiEmpty, errorResponse } from "./schemas";

const ASSETS_BASE = "/dashboard/assets";
/** What the page links (src/http/dashboard/index.html names them as they sit next to it). */
const LINKED_FILES = ["dashboard.css", "dashboard.js"] as const satisfies readonly DashboardFile[];
const CONTENT_TYPES: Record<DashboardFile, string> = {
  "index.html": "text/html; charset=utf-8",
  "dashboard.css": "text/css; charset=utf-8",
  "dashboard.js": "text/javascript; charset=utf-8",
};
/** A linked file's URL names a hash of its bytes: what is at such a URL never changes. */
const IMMUTABLE = "public, max-age=31536000, immutable";
/** The page names this deployment's files: caches may keep it but revalidate (its ETag makes that a 304). */
const REVALIDATE = "public, no-cache";
/**
 * All the page loads is its own stylesheet and script (no inline script or style) and the
 * admin endpoints it fetches; its forms are sent by the script, so a form never navigates
 * (were the script to fail, a password would not end up in a URL).
 */
const CONTENT_SECURITY_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'self'";

/** The dashboard as served: the page, and the linked files by the name they are served under. */
interface Dashboard {
  readonly page: StaticBody;
  readonly linked: ReadonlyMap<string, StaticBody>;
}

/** `dashboard.js` → `dashboard.<hash of its bytes>.js` */
const hashedName = (file: string, hash: string) => file.replace(/(\.\w+)$/, `.${hash}$1`);

/** Points the page's link to `file` (the attribute value, quoted, as the page has it on disk) at `url`. */
function relink(html: string, file: string, url: string): string {
  const reference = `"${file}"`;
  if (!html.includes(reference)) throw new Error(`src/http/dashboard/index.html no longer links ${file}`);
  return html.replace(reference, () => `"${url}"`);
}

async function makeDashboard(assets: DocsAssets): Promise<Dashboard> {
  const { compress } = assets;
  const linked = await Promise.all(
    LINKED_FILES.map(async (file) => {
      const bytes = await assets.readDashboard(file);
      const body = await makeStaticBody(bytes, { contentType: CONTENT_TYPES[file], cacheControl: IMMUTABLE, compress });
      return { file, name: hashedName(file, await contentHash(bytes)), body };
    }),
  );
  const html = linked.reduce(
    (page, { file, name }) => relink(page, file, `${ASSETS_BASE}/${name}`),
    new TextDecoder().decode(await assets.readDashboard("index.html")),
  );
  return {
    page: await makeStaticBody(new TextEncoder().encode(html), {
      contentType: CONTENT_TYPES["index.html"],
      cacheControl: REVALIDATE,
      compress,
    }),
    linked: new Map(linked.map(({ name, body }) => [name, body])),
  };
}

const ETAG_HEADER = {
  ETag: { description: "The page's representation: send it back as If-None-Match for a 304", schema: { type: "string" as const } },
};

const route = createRoute({
  method: "get",
  path: "/dashboard",
  operationId: "getDashboard",
  tags: ["Cache operations"],
  security: [],
  summary: "Cache dashboard (HTML); it signs in and reads the admin endpoints itself",
  description:
    "The page is public; what it shows comes from the admin endpoints, after signing in with the admin token or an admin account. Rate limited like /api (and /docs, /openapi.json): it spends the caller's `default` budget. " +
    "`Cache-Control: public, no-cache`: the page links its script and stylesheet at URLs that name their content (immutable, cached for a year), so a deployment changes the page and caches revalidate it.",
  responses: {
    200: { ...apiEmpty("The dashboard page", ETAG_HEADER), content: { "text/html": { schema: z.string() } } },
    304: apiEmpty("Not modified: the If-None-Match tag is current", ETAG_HEADER),
    429: errorResponse("Rate limited (the caller's `default` budget)"),
    503: errorResponse("Rate limiting is unavailable and RATE_LIMIT_FAIL_MODE=closed"),
  },
});

/**
 * The paths whose responses come from bodies compressed once (dashboardRoutes): compression()
 * must not compress them again per request.
 */
export const dashboardEncodesItself = (path: string): boolean => path === "/dashboard" || path.startsWith(`${ASSETS_BASE}/`);

/**
 * GET /dashboard, and the stylesheet and script it links under /dashboard/assets/, each at a
 * URL with a hash of its bytes in it (immutable). The three are made once per app, the first
 * time one is asked for (a failure is tried again), as /docs's files are (src/http/static-body.ts):
 * their bytes, those bytes in every coding the runtime's compressor makes, an ETag for each.
 */
export function dashboardRoutes() {
  // The files come with the request's services, the same for every request of the app.
  let dashboard: ((key: string) => Promise<Dashboard>) | undefined;
  const made = (assets: DocsAssets) => {
    dashboard ??= memoize(1, () => makeDashboard(assets));
    return dashboard("");
  };

  return new OpenAPIHono<AppEnv>()
    .openapi(route, async (c) => {
      setHeader(c, "Content-Security-Policy", CONTENT_SECURITY_POLICY);
      return serveStaticBody(c, (await made(c.get("services").docsAssets)).page);
    })
    .get(`${ASSETS_BASE}/*`, async (c) => {
      const body = (await made(c.get("services").docsAssets)).linked.get(c.req.path.slice(ASSETS_BASE.length + 1));
      if (!body) throw new AppError(404, "NOT_FOUND", `No dashboard asset at ${c.req.path}`);
      return serveStaticBody(c, body);
    });
}
