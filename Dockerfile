# syntax=docker/dockerfile:1
# JollyJet Edge on Node, as compiled JavaScript (esbuild bundle of src/entry/node.ts; no tsx at run time).
#   docker build -t jollyjet-edge .      (compose.yaml builds it with Redis and a libSQL server)
# test/node/build.test.ts replays this file without Docker (its build stage, then the runtime
# stage from a production install) and checks the server it starts: keep to the instructions
# that test understands (FROM, ARG, WORKDIR, ENV, COPY, RUN, USER, EXPOSE, HEALTHCHECK, CMD).

# node:<major>.<minor>-bookworm-slim follows Node 20's patch releases (security fixes) while
# staying on one minor line and one Debian release; pin a digest (@sha256:...) for byte-for-byte rebuilds.
ARG NODE_IMAGE=node:20.20-bookworm-slim

# ---- build: every dependency (esbuild is a devDependency), then the bundle and the dashboard's files in dist/ ----
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: nothing here needs an install script (esbuild finds its platform binary
# without its postinstall; workerd and sharp serve wrangler only), and @scarf/scarf's
# analytics postinstall never runs. The cache mount keeps npm's cache out of every layer.
RUN --mount=type=cache,target=/root/.npm npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
RUN npm run build

# ---- runtime: production dependencies only, the bundle and the migrations ----
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
# The runtime needs no install script either: libsql's native binding comes prebuilt in an
# optional dependency (@libsql/linux-x64-gnu and friends).
RUN --mount=type=cache,target=/root/.npm npm ci --omit=dev --ignore-scripts --no-audit --no-fund
# dist/entry/node.js finds ../../migrations and node_modules/swagger-ui-dist from its own URL:
# both must sit in /app, two levels above it (the dashboard's files come with dist/, in dist/http/dashboard/).
COPY migrations ./migrations
COPY --from=build /app/dist ./dist
# Files stay root-owned and read-only to the server. DATABASE_URL should name a libSQL server
# (compose.yaml); a file: database needs a volume the node user can write.
USER node
EXPOSE 8787
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.PORT || 8787}/health`).then((r) => process.exit(r.status === 200 ? 0 : 1), () => process.exit(1))"]
CMD ["node", "--enable-source-maps", "dist/entry/node.js"]
