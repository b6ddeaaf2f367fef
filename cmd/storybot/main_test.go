package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"testing"
)

// TestMain lets a test run storybot as a child process (see runChild): the
// test binary re-executes itself with STORYBOT_TEST_ARGS set.
func TestMain(m *testing.M) {
	if args := os.Getenv("STORYBOT_TEST_ARGS"); args != "" {
		var a []string
		if err := json.Unmarshal([]byte(args), &a); err != nil {
			panic(err)
		}
		// As main does: an interrupt or SIGTERM stops the command cleanly.
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		code := Run(ctx, a, &IO{In: os.Stdin, Out: os.Stdout, Err: os.Stderr}, os.Getenv)
		stop()
		os.Exit(code)
	}
	os.Exit(m.Run())
}

// cli runs storybot in-process with args and an empty environment, and
// returns its exit status and output.
func cli(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = Run(context.Background(), args, &IO{In: strings.NewReader(stdin), Out: &out, Err: &errb}, func(string) string { return "" })
	return code, out.String(), errb.String()
}
