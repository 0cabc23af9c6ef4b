# syntax=docker/dockerfile:1
#
# landerd's container image: a static Go binary (no cgo) on distroless
# static, running as an unprivileged user. Build it with the version stamped
# into the binary:
#
#   docker build --build-arg VERSION=$(git describe --tags --always --dirty) -t landerd .
#   docker run --rm landerd version
#
# The runtime image has no shell, so the HEALTHCHECK runs the binary itself
# (landerd healthcheck asks the /healthz endpoint on the metrics port).

ARG GO_VERSION=1.26.8

# The build stage runs on the builder's platform and cross-compiles, so a
# multi-platform build (--platform linux/amd64,linux/arm64) needs no emulation.
FROM --platform=$BUILDPLATFORM golang:${GO_VERSION}-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
ARG VERSION=dev
ARG TARGETOS=linux
ARG TARGETARCH=amd64
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH \
    go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/landerd ./cmd/landerd

# distroless static: CA certificates, tzdata and /etc/passwd with the
# nonroot user (uid 65532), nothing else.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/landerd /usr/local/bin/landerd
# The example configuration is the documented defaults; mount a real one
# over it (or set LANDERD_* variables).
COPY configs/landerd.yaml /etc/landerd/landerd.yaml
USER 65532:65532
WORKDIR /home/nonroot
EXPOSE 9464
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["/usr/local/bin/landerd", "healthcheck", "--url", "http://127.0.0.1:9464/healthz"]
ENTRYPOINT ["/usr/local/bin/landerd"]
CMD ["run", "--config", "/etc/landerd/landerd.yaml"]
