# metallb-ts: one image for both components; the manifests (config/) run
#   /app/bin/metallb-ts controller ...        (Deployment metallb-ts-controller)
#   /app/bin/metallb-ts speaker --node-name $(NODE_NAME) ...   (DaemonSet metallb-ts-speaker)
# the same invocations the tests run (test/deploy/commands.test.ts checks both, and this file's
# ENTRYPOINT and CMD, against the commands' own flag parsers).
#
#   docker build -t metallb-ts:0.1.0 .
#
# Non-root (uid 65534, nobody): the speaker only dials out to port 179, which needs no capability;
# TCP MD5 and the TTL socket options need none either. `speaker --listen :179` would need
# CAP_NET_BIND_SERVICE, which a non-root process does not get from the pod's capabilities: see
# docs/kubernetes.md.

# --- build: all dependencies, compile TypeScript -------------------------------------------------
FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` would compile before the sources are here; the build runs below.
RUN npm ci --ignore-scripts
COPY tsconfig.json ./
COPY src ./src
RUN npx tsc -p tsconfig.json \
 && find dist -name '*.test.js' -o -name '*.test.js.map' -o -name '*.test.d.ts' | xargs rm -f

# --- runtime: production dependencies and the compiled code only ----------------------------------
FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force
COPY --from=build /src/dist/src ./dist/src
COPY bin ./bin
COPY examples ./examples
USER 65534:65534
ENTRYPOINT ["/app/bin/metallb-ts"]
CMD ["--help"]
