# gitcanary's image: the static binary without the demo (-tags nodemo), on
# scratch, as a non-root user, with no shell. `make image` builds it with
# docker or podman; `make image-tar` assembles the same layout without a
# container daemon (image/, go-containerregistry).

FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# The module version and commit `gitcanary version` prints (.git is not in
# the build context).
ARG VERSION=dev
RUN CGO_ENABLED=0 GOTOOLCHAIN=local go build -tags nodemo -trimpath -buildvcs=false \
      -ldflags="-s -w -X main.version=${VERSION}" -o /out/gitcanary ./cmd/gitcanary
# The image's root: the users of image/rootfs, the CA certificates for HTTPS
# remotes and providers, a writable /tmp.
COPY image/rootfs/ /out/rootfs/
RUN mkdir -p /out/rootfs/etc/ssl/certs /out/rootfs/tmp \
 && cp /etc/ssl/certs/ca-certificates.crt /out/rootfs/etc/ssl/certs/ \
 && chmod 1777 /out/rootfs/tmp

FROM scratch
ARG VERSION=dev
LABEL org.opencontainers.image.source="https://github.com/gitcanary/gitcanary" \
      org.opencontainers.image.version="${VERSION}"
COPY --from=build /out/rootfs/ /
COPY --from=build /out/gitcanary /usr/local/bin/gitcanary
# nonroot in image/rootfs/etc/passwd; numeric for runAsNonRoot.
USER 65532:65532
# /healthz, /readyz, /metrics, the push webhooks and the UI (run --listen=:8080).
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/gitcanary"]
