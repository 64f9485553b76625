# The sidecar proxy image. Build from the repository root:
#   docker build -f deploy/kubernetes/docker/proxy.Dockerfile -t trellis/proxy .
FROM node:22-bookworm-slim AS build
WORKDIR /src
COPY . .
RUN npx -y pnpm@10.34.9 install --frozen-lockfile \
 && npx tsc -b packages/proxy \
 && npx -y pnpm@10.34.9 --filter @trellis/proxy deploy --prod --legacy /out

FROM node:22-bookworm-slim
# uid 1337, as Istio's: traffic capture excludes the proxy's own packets by this owner.
RUN groupadd --gid 1337 trellis-proxy && useradd --uid 1337 --gid 1337 --no-create-home --shell /usr/sbin/nologin trellis-proxy
COPY --from=build --chown=root:root /out /opt/trellis-proxy
USER 1337:1337
EXPOSE 15001 15006 15021
ENTRYPOINT ["node", "/opt/trellis-proxy/dist/main.js"]
