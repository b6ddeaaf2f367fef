package main

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/storybot/storybot/llm"
	"github.com/storybot/storybot/llm/mock"
)

func TestMockLLMServesUntilCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	outR, outW := io.Pipe()
	var errb strings.Builder
	done := make(chan int, 1)
	go func() {
		code := Run(ctx, []string{"mock-llm", "--addr", "127.0.0.1:0"}, &IO{In: strings.NewReader(""), Out: outW, Err: &errb}, func(string) string { return "" })
		outW.Close()
		done <- code
	}()

	// Read the banner until the base URL line.
	var base string
	sc := bufio.NewScanner(outR)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "LLM_BASE_URL="); ok {
			base = v
			break
		}
	}
	go io.Copy(io.Discard, outR) // drain the rest
	if !strings.HasPrefix(base, "http://127.0.0.1:") || !strings.HasSuffix(base, "/v1") {
		t.Fatalf("got base URL %q, want http://127.0.0.1:PORT/v1", base)
	}

	c, err := llm.New(llm.Config{BaseURL: base, Model: mock.Model, Timeout: 5 * time.Second}, llm.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := c.Complete(ctx, llm.Request{User: "Is it on? It is."})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Model != mock.Model || rep.Text != "Is it on? It is." {
		t.Errorf("got %+v, want the mock echoing the message", rep)
	}

	cancel()
	select {
	case code := <-done:
		if code != exitOK {
			t.Errorf("got exit status %d, want %d; stderr: %s", code, exitOK, errb.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("mock-llm did not stop after its context was canceled")
	}
}

// arrivals is an io.Writer that signals each write (each mock log record,
// written when a request has arrived).
type arrivals chan struct{}

func (a arrivals) Write(p []byte) (int, error) {
	select {
	case a <- struct{}{}:
	default:
	}
	return len(p), nil
}

func TestMockLLMShutdownEndsHangingRequests(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	arrived := make(arrivals, 1)
	opts := mock.Options{Log: slog.New(slog.NewTextHandler(arrived, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	env := &Env{IO: IO{In: strings.NewReader(""), Out: io.Discard, Err: io.Discard}, cfg: &Config{}}
	served := make(chan error, 1)
	go func() { served <- serveMockLLM(ctx, env, ln, opts) }()

	hung := make(chan error, 1)
	go func() {
		c, err := llm.New(llm.Config{BaseURL: "http://" + ln.Addr().String() + "/v1", Model: mock.FaultHang, Timeout: time.Minute},
			llm.WithLogger(slog.New(slog.DiscardHandler)))
		if err != nil {
			hung <- err
			return
		}
		_, err = c.Stream(context.Background(), llm.Request{User: "Hi."}, nil)
		hung <- err
	}()
	<-arrived // the request is in the mock's handler, hanging
	cancel()
	select {
	case err := <-served:
		if err != nil {
			t.Errorf("got %v from the server, want a clean shutdown", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the server did not stop while a request hung")
	}
	select {
	case err := <-hung:
		if err == nil {
			t.Error("got an answer from mock-hang, want an error once the server stopped")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the hanging request did not end with the server")
	}
}

func TestMockLLMUsage(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"extra argument", []string{"mock-llm", "now"}, exitUsage, "takes no arguments"},
		{"bad flag", []string{"mock-llm", "--port", "1"}, exitUsage, "flag provided but not defined"},
		{"negative delay", []string{"mock-llm", "--chunk-delay", "-1s"}, exitUsage, "--chunk-delay"},
		{"bad address", []string{"mock-llm", "--addr", "127.0.0.1:notaport"}, exitFailure, "listen on 127.0.0.1:notaport"},
		{"help", []string{"mock-llm", "--help"}, exitOK, "mock-hallucinate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, errOut := cli(t, "", tt.args...)
			if code != tt.code || !strings.Contains(errOut, tt.want) {
				t.Errorf("got status %d, stderr %q; want %d and %q", code, errOut, tt.code, tt.want)
			}
		})
	}
}
