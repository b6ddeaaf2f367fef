package bot

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
)

// TestRESTResponder: gateway errors are retried a few times, Discord's error
// is reported with its code, no call carries the bot token, and no error
// quotes the interaction's token.
func TestRESTResponder(t *testing.T) {
	const token = "secret-interaction-token"
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := calls.Add(1)
		if r.Header.Get("Authorization") != "" {
			t.Errorf("%s %s carries an Authorization header, want none", r.Method, r.URL.Path)
		}
		switch {
		case r.Method == http.MethodPatch && n <= 2:
			w.WriteHeader(http.StatusBadGateway)
		case r.Method == http.MethodPatch:
			fmt.Fprint(w, `{"id":"1"}`)
		case r.Method == http.MethodPost:
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `{"code":50035,"message":"Invalid Form Body"}`)
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	defer srv.Close()
	i := &discordgo.Interaction{ID: "1", AppID: "2", Token: token}
	r := &restResponder{client: srv.Client(), base: srv.URL + "/api/v9/", agent: "test"}
	ctx := context.Background()

	if err := r.Edit(ctx, i, &discordgo.WebhookEdit{}); err != nil || calls.Load() != 3 {
		t.Errorf("edit after two 502s: got %v after %d calls, want success after 3", err, calls.Load())
	}
	err := r.FollowUp(ctx, i, &discordgo.WebhookParams{Content: "x"})
	var re *restError
	if !errors.As(err, &re) || re.Code != 50035 || !strings.Contains(err.Error(), "send a follow-up") {
		t.Errorf("got %v, want a restError with code 50035 naming the call", err)
	}
	srv.Close()
	for _, err := range []error{err, r.DeleteOriginal(ctx, i), r.Respond(ctx, i, &discordgo.InteractionResponse{Type: 5})} {
		if err == nil {
			t.Errorf("got no error, want one")
		} else if strings.Contains(err.Error(), token) {
			t.Errorf("got %q, want the interaction token left out", err)
		}
	}
}

// A 429 that says no wait (a proxy's HTML page) is retried a few times,
// at least minRateLimitWait apart, then reported: never a tight loop.
func TestRESTResponderBare429(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusTooManyRequests)
		fmt.Fprint(w, "<html>slow down</html>")
	}))
	defer srv.Close()
	r := &restResponder{client: srv.Client(), base: srv.URL + "/api/v9/", agent: "test"}
	start := time.Now()
	err := r.Edit(context.Background(), &discordgo.Interaction{ID: "1", AppID: "2", Token: "t"}, &discordgo.WebhookEdit{})
	var re *restError
	if !errors.As(err, &re) || re.Status != http.StatusTooManyRequests {
		t.Fatalf("got %v, want the 429 reported", err)
	}
	if n := calls.Load(); n != maxRateLimitRetries+1 {
		t.Errorf("got %d calls, want %d", n, maxRateLimitRetries+1)
	}
	if took := time.Since(start); took < maxRateLimitRetries*minRateLimitWait {
		t.Errorf("took %v, want at least %v between the tries", took, maxRateLimitRetries*minRateLimitWait)
	}
}
