# The sidecar image: the trellis CLI, whose `proxy` command is the injected proxy and whose
# `capture-init` command is the injected init container (hence iptables). Build from the
# repository root:
#   docker build -f deploy/kubernetes/docker/proxy.Dockerfile -t trellis/proxy .
FROM node:22-bookworm-slim AS build
WORKDIR /src
COPY . .
RUN npx -y pnpm@10.34.9 install --frozen-lockfile \
 && npx tsc -b packages/cli \
 && npx -y pnpm@10.34.9 --filter @trellis/cli deploy --prod --legacy /out

FROM node:22-bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends iptables && rm -rf /var/lib/apt/lists/*
# uid 1337, as Istio's: traffic capture excludes the proxy's own packets by this owner.
RUN groupadd --gid 1337 trellis-proxy && useradd --uid 1337 --gid 1337 --no-create-home --shell /usr/sbin/nologin trellis-proxy
COPY --from=build --chown=root:root /out /opt/trellis
# The injector runs capture-init as root (NET_ADMIN/NET_RAW only) and the proxy as 1337.
USER 1337:1337
# 15001 outbound and 15006 inbound (captured), 15000 admin on loopback only.
EXPOSE 15001 15006
ENTRYPOINT ["node", "/opt/trellis/dist/main.js"]
