package main

import (
	"context"
	"errors"
	"time"

	"github.com/storybot/storybot/health"
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
	return health.Probe(ctx, target, *timeout)
}
