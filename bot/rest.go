package bot

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/bwmarrin/discordgo"
)

// restResponder is the Responder that answers interactions over Discord's
// REST API: the callback, and the edits, follow-ups and deletes through the
// interaction's webhook. These calls need no bot token (the interaction's
// own token is in the path), so none is sent.
//
// It does not use discordgo's REST rate limiter. That one puts the edits
// of every interaction in a single bucket and holds the bucket's lock for
// the whole call, so a bot would send one edit at a time, all interactions
// together (a few dozen a second with Discord 50 ms away), and it keeps a
// bucket for every interaction it answers, for ever. Discord limits these
// calls per interaction token, far above what one reply needs, so each call
// just waits out a 429's retry_after and tries again.
type restResponder struct {
	client *http.Client
	base   string // Config.APIURL, ending in "/"
	agent  string // User-Agent
}

var _ Responder = (*restResponder)(nil)

// maxServerRetries is how often a call is retried after a 502, 503 or 504.
const maxServerRetries = 2

// After a 429 a call waits what Discord says, at least minRateLimitWait,
// and is retried at most maxRateLimitRetries times.
const (
	minRateLimitWait    = 500 * time.Millisecond
	maxRateLimitRetries = 5
)

func (r *restResponder) Respond(ctx context.Context, i *discordgo.Interaction, resp *discordgo.InteractionResponse) error {
	path := "interactions/" + url.PathEscape(i.ID) + "/" + url.PathEscape(i.Token) + "/callback"
	return r.call(ctx, "send the initial response", http.MethodPost, path, resp)
}

func (r *restResponder) Edit(ctx context.Context, i *discordgo.Interaction, e *discordgo.WebhookEdit) error {
	return r.call(ctx, "edit the response", http.MethodPatch, webhook(i)+"/messages/@original", e)
}

func (r *restResponder) FollowUp(ctx context.Context, i *discordgo.Interaction, p *discordgo.WebhookParams) error {
	return r.call(ctx, "send a follow-up", http.MethodPost, webhook(i)+"?wait=true", p)
}

func (r *restResponder) DeleteOriginal(ctx context.Context, i *discordgo.Interaction) error {
	return r.call(ctx, "delete the response", http.MethodDelete, webhook(i)+"/messages/@original", nil)
}

// webhook is the path of i's webhook.
func webhook(i *discordgo.Interaction) string {
	return "webhooks/" + url.PathEscape(i.AppID) + "/" + url.PathEscape(i.Token)
}

// restError is a call that Discord answered with an error status.
type restError struct {
	Status  int
	Code    int    // Discord's JSON error code, 0 when none
	Message string // Discord's message
}

func (e *restError) Error() string {
	if e.Code != 0 {
		return fmt.Sprintf("discord answered %d: %s (code %d)", e.Status, e.Message, e.Code)
	}
	return fmt.Sprintf("discord answered %d: %s", e.Status, e.Message)
}

// call sends body (JSON; nil for none) with method to path under the API
// base, waiting out rate limits and retrying a few gateway errors, until
// ctx ends. what names the call in errors; the path, which holds the
// interaction's token, never appears in them.
func (r *restResponder) call(ctx context.Context, what, method, path string, body any) error {
	var b []byte
	if body != nil {
		var err error
		if b, err = json.Marshal(body); err != nil {
			return fmt.Errorf("%s: encode: %w", what, err)
		}
	}
	for attempt := 0; ; attempt++ {
		wait, err := r.once(ctx, method, path, b)
		if err == nil {
			return nil
		}
		var re *restError
		switch {
		case errors.As(err, &re) && re.Status == http.StatusTooManyRequests && attempt < maxRateLimitRetries:
			// A 429 without a wait (a proxy's page, not Discord's JSON) must
			// not make a tight loop: Discord bans an IP after too many
			// refused requests.
			wait = max(wait, minRateLimitWait)
		case errors.As(err, &re) && re.Status >= 502 && re.Status <= 504 && attempt < maxServerRetries:
			wait = time.Duration(attempt+1) * 250 * time.Millisecond
		default:
			return fmt.Errorf("%s: %w", what, err)
		}
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("%s: %w (gave up waiting %v to retry: %w)", what, err, wait, ctx.Err())
		}
	}
}

// once makes one call. On a 429 it returns how long to wait.
func (r *restResponder) once(ctx context.Context, method, path string, body []byte) (time.Duration, error) {
	req, err := http.NewRequestWithContext(ctx, method, r.base+path, bytes.NewReader(body))
	if err != nil {
		return 0, errors.New("bad request URL") // the URL holds the token: not quoted
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("User-Agent", r.agent)
	resp, err := r.client.Do(req)
	if err != nil {
		if ue, ok := errors.AsType[*url.Error](err); ok {
			err = ue.Err // without the URL, which holds the token
		}
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 == 2 {
		io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20)) // lets the connection be reused
		return 0, nil
	}
	var d struct {
		Code       int     `json:"code"`
		Message    string  `json:"message"`
		RetryAfter float64 `json:"retry_after"`
	}
	json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&d)
	if d.Message == "" {
		d.Message = http.StatusText(resp.StatusCode)
	}
	wait := time.Duration(d.RetryAfter * float64(time.Second))
	if s, err := strconv.ParseFloat(resp.Header.Get("Retry-After"), 64); err == nil && wait <= 0 {
		wait = time.Duration(s * float64(time.Second))
	}
	return max(wait, 0), &restError{Status: resp.StatusCode, Code: d.Code, Message: d.Message}
}
