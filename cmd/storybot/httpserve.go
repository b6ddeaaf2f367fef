package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"

	"github.com/storybot/storybot/health"
)

// defaultHTTPAddr is where "storybot run" serves /healthz, /readyz and
// /metrics unless HTTP_ADDR says otherwise: loopback only.
const defaultHTTPAddr = "127.0.0.1:8080"

// httpOff is the HTTP_ADDR value that turns the server off. main passes it
// for an HTTP_ADDR that is set but empty (see emptyMeans).
const httpOff = "off"

// readHTTPAddr reads HTTP_ADDR: host:port to serve on (the host may be
// empty or 0.0.0.0 for every interface), unset for defaultHTTPAddr, or
// "off" (or set but empty) for no server, in which case it returns "".
func readHTTPAddr(getenv func(string) string) (string, error) {
	v := strings.TrimSpace(getenv("HTTP_ADDR"))
	switch {
	case v == "":
		return defaultHTTPAddr, nil
	case strings.EqualFold(v, httpOff):
		return "", nil
	}
	if err := checkHostPort(v); err != nil {
		return "", usagef("HTTP_ADDR: %q is not host:port (%v); want e.g. 127.0.0.1:8080, or \"off\" to turn the HTTP server off", v, err)
	}
	return v, nil
}

// checkHostPort reports whether addr is host:port with a numeric port.
func checkHostPort(addr string) error {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		var ae *net.AddrError
		if errors.As(err, &ae) {
			return errors.New(ae.Err)
		}
		return err
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("the port must be a number from 0 to 65535")
	}
	return nil
}

// emptyMeans returns a getenv for lookup that gives value for the variable
// name when it is set but empty, so that "HTTP_ADDR=" can mean something
// other than unset. Every other variable reads as lookup has it.
func emptyMeans(lookup func(string) (string, bool), name, value string) func(string) string {
	return func(k string) string {
		v, ok := lookup(k)
		if k == name && ok && strings.TrimSpace(v) == "" {
			return value
		}
		return v
	}
}

// startHTTP listens on addr and serves h there until ctx ends or stop is
// called; stop waits for the server to finish. A failure to listen (a port
// in use) is returned at once; a later failure is logged.
func startHTTP(ctx context.Context, addr string, h http.Handler, log *slog.Logger) (stop func(), err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("HTTP_ADDR: %w", err)
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := health.Serve(ctx, ln, h, log); err != nil {
			log.Error("health and metrics server stopped", "err", err)
		}
	}()
	return func() {
		cancel()
		<-done
	}, nil
}
