# Build a static storybot (pure Go, no cgo) and run it from a minimal image.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o /out/storybot ./cmd/storybot \
 && mkdir -p /out/data

# distroless/static has CA certificates and time-zone data, and no shell; it
# runs as the non-root user 65532. storybot also embeds Europe/London.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/storybot /usr/local/bin/storybot
# /data belongs to the non-root user, so that a new named volume mounted
# there (which takes the image's ownership) is writable.
COPY --from=build --chown=65532:65532 /out/data /data
ENV DATABASE_URL=/data/storybot.db \
    HTTP_ADDR=0.0.0.0:8080
VOLUME ["/data"]
WORKDIR /data
EXPOSE 8080
# GET /healthz on the loopback address (HTTP_ADDR's 0.0.0.0 is dialed as 127.0.0.1).
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 CMD ["storybot", "healthcheck"]
ENTRYPOINT ["storybot"]
CMD ["run"]
