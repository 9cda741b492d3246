# syntax=docker/dockerfile:1
# One image recipe for every service: `--build-arg APP=<service> --build-arg PORT=<its port>`, e.g.
#   docker build --build-arg APP=product --build-arg PORT=3003 -t emporium/product:dev .
# The result runs `node main.js` (serve) or `node main.js migrate` (apply migrations and exit).

# Node 22 LTS, pinned by tag; CI can pin a digest with --build-arg NODE_IMAGE=node:22.21-bookworm-slim@sha256:...
# bookworm (glibc) rather than alpine: Nx's and SWC's native binaries in the lock are the glibc builds.
ARG NODE_IMAGE=node:22.21-bookworm-slim

# ---- 1. build: the whole workspace, then one app's webpack bundle and its generated package.json/lock
FROM ${NODE_IMAGE} AS build
ARG APP
RUN test -n "$APP" || { echo 'missing --build-arg APP=<service>' >&2; exit 1; }
WORKDIR /workspace
# npm 10 in the image does not read package.json "allowScripts"; these keep swagger-ui-dist's @scarf/scarf
# postinstall from phoning home during the build.
ENV CI=true NX_NO_CLOUD=true NX_DAEMON=false NX_TUI=false SCARF_ANALYTICS=false DO_NOT_TRACK=1
COPY package.json package-lock.json .npmrc ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN test -f "apps/$APP/project.json" || { echo "apps/$APP/project.json not found" >&2; exit 1; } \
 && npx nx build "$APP" --outputStyle=static \
 && test -f "dist/apps/$APP/main.js" && test -f "dist/apps/$APP/package.json"

# ---- 2. deps: production dependencies only, from the package.json (and lock) Nx generated for this app
FROM ${NODE_IMAGE} AS deps
ARG APP
WORKDIR /app
ENV SCARF_ANALYTICS=false DO_NOT_TRACK=1
COPY --from=build /workspace/dist/apps/${APP}/package*.json ./
# --ignore-scripts: no production dependency needs an install script today (the only one, @scarf/scarf, is
# telemetry). A future native dependency without prebuilt binaries would add `npm rebuild <pkg>` here.
RUN if [ -f package-lock.json ]; then \
      npm ci --omit=dev --ignore-scripts --no-audit --no-fund; \
    else \
      npm install --omit=dev --ignore-scripts --no-audit --no-fund; \
    fi \
 && npm cache clean --force

# ---- 3. runtime: non-root, read-only friendly (nothing is written outside /tmp), no build tooling
FROM ${NODE_IMAGE} AS runtime
ARG APP
ARG PORT
# The runtime never installs anything: the package managers go (less to patch, less to exploit).
RUN test -n "$PORT" || { echo 'missing --build-arg PORT=<the service port>' >&2; exit 1; } \
 && groupadd --system --gid 10001 app \
 && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin app \
 && rm -rf /usr/local/lib/node_modules/npm /usr/local/lib/node_modules/corepack /opt/yarn-* \
           /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack /usr/local/bin/yarn /usr/local/bin/yarnpkg
# Heap sized for the 128Mi container limit (k8s, compose): ~30 MiB of the heap is loaded code and metadata,
# so the old space gets 64 MiB; a 4 MiB semi-space keeps GC cheap (2 MiB cost ~20 µs a request). Peak RSS
# under a saturating load: ~106 MiB, ~121-125 MiB with tracing on (bench/README.md).
ENV NODE_ENV=production \
    NODE_OPTIONS="--max-old-space-size=64 --max-semi-space-size=4" \
    PORT=${PORT}
WORKDIR /app
# Owned by root and not writable by the app user: the code cannot be modified at run time.
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /workspace/dist/apps/${APP}/ ./
LABEL org.opencontainers.image.title="emporium-${APP}"
USER 10001:10001
EXPOSE ${PORT}
# The base image's docker-entrypoint.sh only adds a shell hop; node is PID 1 and handles SIGTERM itself.
ENTRYPOINT []
CMD ["node", "main.js"]
