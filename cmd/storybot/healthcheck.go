package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"time"
)

func init() {
	register(command{name: "healthcheck", summary: "check that a running storybot answers on HTTP_ADDR (Docker's HEALTHCHECK)", run: runHealthcheck})
}

const healthcheckAbout = `
Asks the storybot running at --addr (default HTTP_ADDR, else 127.0.0.1:8080)
for /healthz. Exits 0 when it answers 200 "ok", else 1 with one line saying
why. A host of 0.0.0.0, :: or none is checked on the loopback address.`

func runHealthcheck(ctx context.Context, env *Env, args []string) error {
	fs := newFlagSet(env, "healthcheck", "healthcheck [--addr HOST:PORT] [--timeout D]", healthcheckAbout)
	addr := fs.String("addr", "", "the `HOST:PORT` storybot serves HTTP on (default $HTTP_ADDR, else "+defaultHTTPAddr+")")
	timeout := fs.Duration("timeout", 3*time.Second, "give up after `D`")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("healthcheck takes no arguments (got %q)", pos[0])
	}
	if *timeout <= 0 {
		return usagef("--timeout must be more than zero")
	}
	target := *addr
	if target != "" {
		if err := checkHostPort(target); err != nil {
			return usagef("--addr: %q is not host:port (%v)", target, err)
		}
	} else {
		if target = env.cfg.HTTPAddr; target == "" {
			return errors.New("HTTP_ADDR turns the HTTP server off, so there is nothing to check (or pass --addr)")
		}
	}
	u := "http://" + dialable(target) + "/healthz"
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	return checkHealth(ctx, u, *timeout)
}

// dialable turns an address to listen on into one to connect to: an
// unspecified host (0.0.0.0, ::, none) becomes the loopback address.
func dialable(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	switch ip := net.ParseIP(host); {
	case host == "" || (ip != nil && ip.IsUnspecified() && ip.To4() != nil):
		host = "127.0.0.1"
	case ip != nil && ip.IsUnspecified():
		host = "::1"
	}
	return net.JoinHostPort(host, port)
}

// checkHealth GETs u and returns nil when it answers 200, else an error
// of one line.
func checkHealth(ctx context.Context, u string, timeout time.Duration) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return usagef("%v", err)
	}
	// No proxy: the server is local, and only main reads the environment.
	hc := &http.Client{Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true}}
	resp, err := hc.Do(req)
	if err != nil {
		var ue *url.Error
		switch {
		case errors.Is(err, context.DeadlineExceeded):
			return fmt.Errorf("%s: no answer within %v", u, timeout)
		case errors.As(err, &ue):
			return fmt.Errorf("%s: %w", u, ue.Err)
		}
		return fmt.Errorf("%s: %w", u, err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<10))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", u, resp.Status)
	}
	return nil
}
