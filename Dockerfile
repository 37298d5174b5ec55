# syntax=docker/dockerfile:1
# Vitrine's image: a build stage compiles TypeScript and the web page with the dev dependencies; the runtime
# stage holds only production dependencies, dist/ and the house model, and runs as the unprivileged `node` user (uid 1000).
# Debian (glibc), not Alpine: the lock file carries the linux-x64/arm64 *gnu* builds of sharp, LanceDB and
# ONNX Runtime.

ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
# onnxruntime-node's postinstall would download CUDA files; the CPU provider is bundled. npm >= 11.16 skips it
# through package.json's allowScripts; the node:20 image's npm 10 reads this variable instead.
ENV ONNXRUNTIME_NODE_INSTALL=skip
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY web ./web
RUN npm run build

FROM ${NODE_IMAGE} AS runtime
WORKDIR /app
ENV NODE_ENV=production \
    ONNXRUNTIME_NODE_INSTALL=skip \
    VITRINE_DATA=/data \
    VITRINE_MODEL_CACHE=/data/model-cache \
    VITRINE_HOST=0.0.0.0 \
    VITRINE_PORT=30000
COPY package.json package-lock.json ./
# onnxruntime-node ships macOS and Windows binaries too (about 220 MB): drop them.
RUN npm ci --omit=dev --no-audit --no-fund \
 && rm -rf node_modules/onnxruntime-node/bin/napi-v6/darwin node_modules/onnxruntime-node/bin/napi-v6/win32 \
 && npm cache clean --force
COPY --from=build /app/dist ./dist
# dist/ resolves the house model at <package root>/models/house.
COPY models/house ./models/house
# The embedded LanceDB index lives in /data: created here and owned by `node` so a fresh named volume
# inherits that ownership.
RUN mkdir -p /data && chown node:node /data
# The image's `node` user, by number so Kubernetes' runAsNonRoot can verify it.
USER 1000:1000
VOLUME ["/data"]
EXPOSE 30000
# No curl in the slim image: Node 20's fetch asks /healthz (liveness; /readyz turns 200 once the model is loaded).
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.VITRINE_PORT || 30000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "dist/cli/main.js"]
CMD ["serve"]
