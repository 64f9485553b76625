# The control plane image. Build from the repository root:
#   docker build -f deploy/kubernetes/docker/control-plane.Dockerfile -t trellis/control-plane .
FROM node:22-bookworm-slim AS build
WORKDIR /src
COPY . .
RUN npx -y pnpm@10.34.9 install --frozen-lockfile \
 && npx tsc -b packages/cli packages/kube \
 && npx -y pnpm@10.34.9 --filter @trellis/cli deploy --prod --legacy /out

FROM node:22-bookworm-slim
# A fixed numeric id, so the pod's runAsNonRoot can be checked against the image.
RUN groupadd --gid 10001 trellis && useradd --uid 10001 --gid 10001 --no-create-home --shell /usr/sbin/nologin trellis
COPY --from=build --chown=root:root /out /opt/trellis
USER 10001:10001
EXPOSE 15010 15012 15014 15017
ENTRYPOINT ["node", "/opt/trellis/dist/main.js"]
