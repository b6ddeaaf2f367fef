# Build a static storybot (pure Go, no cgo) and run it from a minimal image.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o /out/storybot ./cmd/storybot

# distroless/static has CA certificates and time-zone data; storybot also embeds
# Europe/London. It runs as a non-root user.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/storybot /usr/local/bin/storybot
ENV DATABASE_URL=/data/storybot.db
VOLUME ["/data"]
WORKDIR /data
ENTRYPOINT ["storybot"]
CMD ["demo", "--db", "/data/demo.db"]
