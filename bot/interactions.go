package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"
)

// DefaultMaxBodyBytes is the largest request the HTTP interactions endpoint
// reads unless Config.MaxBodyBytes says otherwise: 64 KiB. storybot's own
// interactions (a slash command with short string options, an
// autocomplete) are under 4 KB; Discord's largest, a message command
// carrying a whole message with its embeds, mentions and components, are
// tens of kilobytes.
const DefaultMaxBodyBytes = 64 << 10

// MaxBodiesInFlight bounds the request bodies the endpoint reads at once:
// one more is answered 503 at once. With DefaultMaxBodyBytes that is at
// most 4 MiB of bodies, however many connections stall mid-body.
const MaxBodiesInFlight = 64

// The headers Discord signs a request with.
const (
	headerSignature = "X-Signature-Ed25519"
	headerTimestamp = "X-Signature-Timestamp"
)

// initialDeadline is how long the endpoint waits for a command's initial
// response: Discord gives up after 3 seconds.
const initialDeadline = 3 * time.Second

// errTooLate is returned by the HTTP responder's Respond once the HTTP
// request it would answer is over.
var errTooLate = errors.New("the HTTP request ended before the initial response")

// Interactions returns the handler of Discord's HTTP interactions endpoint
// (the Interactions Endpoint URL of the developer portal), for any path.
//
// A request must be a POST of at most Config.MaxBodyBytes (else 405 or
// 413) signed with the application's key within Config.TimestampWindow
// (else 401): the signature's form and the timestamp are checked from the
// headers before the body is read, at most MaxBodiesInFlight bodies are
// read at once (else 503), and the signature is checked before anything in
// the body is parsed. A PING is answered with a PONG. A command or an autocomplete is
// handled as one from the gateway (see Handle): the initial response (the
// deferred acknowledgement, the autocomplete choices, an ephemeral message)
// is the HTTP reply, sent at once, and the rest of the work goes on in the
// background, answering through the interaction's webhook over REST. Run's
// shutdown waits for that work as it does for the gateway's.
//
// It returns an error when Config.PublicKey is not set.
func (b *Bot) Interactions() (http.Handler, error) {
	if b.cfg.PublicKey == nil {
		return nil, errors.New("bot: the HTTP interactions endpoint needs the application's public key")
	}
	return &endpoint{
		b:     b,
		v:     &Verifier{Key: b.cfg.PublicKey, Window: b.cfg.TimestampWindow, Now: b.cfg.Now},
		seen:  newReplays(2*b.cfg.TimestampWindow, b.cfg.Now),
		max:   b.cfg.MaxBodyBytes,
		slots: make(chan struct{}, MaxBodiesInFlight),
		log:   b.cfg.Log.With("component", "interactions"),
	}, nil
}

// endpoint is the HTTP interactions endpoint.
type endpoint struct {
	b     *Bot
	v     *Verifier
	seen  *replays
	max   int64
	slots chan struct{} // bodies being read (MaxBodiesInFlight)
	log   *slog.Logger
}

// readBody reads r's body, at most e.max bytes, into a buffer of the size
// its Content-Length gives when it gives one.
func (e *endpoint) readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	body := http.MaxBytesReader(w, r.Body, e.max)
	if r.ContentLength < 0 {
		return io.ReadAll(body)
	}
	buf := make([]byte, r.ContentLength)
	if _, err := io.ReadFull(body, buf); err != nil {
		return nil, err
	}
	return buf, nil
}

func (e *endpoint) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		plain(w, http.StatusMethodNotAllowed, "use POST")
		return
	}
	// A request refused before its body is read closes its connection:
	// net/http would otherwise read (and wait for) the unread body before
	// it sends the answer.
	if r.ContentLength > e.max {
		w.Header().Set("Connection", "close")
		plain(w, http.StatusRequestEntityTooLarge, "request body too large")
		return
	}
	// What can be checked without the body is, before a byte of it is
	// read: a request that cannot be valid costs nothing.
	if err := e.v.CheckHeaders(r.Header.Get(headerSignature), r.Header.Get(headerTimestamp)); err != nil {
		e.log.Debug("refused a request", "remote", r.RemoteAddr, "reason", err)
		w.Header().Set("Connection", "close")
		plain(w, http.StatusUnauthorized, "invalid request signature")
		return
	}
	select {
	case e.slots <- struct{}{}:
	default:
		w.Header().Set("Connection", "close")
		w.Header().Set("Retry-After", "1")
		plain(w, http.StatusServiceUnavailable, "too many requests in flight; try again")
		return
	}
	body, err := e.readBody(w, r)
	<-e.slots
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			plain(w, http.StatusRequestEntityTooLarge, "request body too large")
			return
		}
		e.log.Debug("read a request", "remote", r.RemoteAddr, "err", err)
		plain(w, http.StatusBadRequest, "could not read the request body")
		return
	}
	if err := e.v.Verify(r.Header.Get(headerSignature), r.Header.Get(headerTimestamp), body); err != nil {
		// Discord sends badly signed requests on purpose to check that
		// they are refused; so may anyone who finds the address.
		e.log.Debug("refused a request", "remote", r.RemoteAddr, "reason", err)
		plain(w, http.StatusUnauthorized, "invalid request signature")
		return
	}
	var i discordgo.Interaction
	if err := json.Unmarshal(body, &i); err != nil {
		e.log.Warn("a signed request is not an interaction", "err", err)
		plain(w, http.StatusBadRequest, "not an interaction")
		return
	}
	switch i.Type {
	case discordgo.InteractionPing:
		e.reply(w, &discordgo.InteractionResponse{Type: discordgo.InteractionResponsePong})
	case discordgo.InteractionApplicationCommand, discordgo.InteractionApplicationCommandAutocomplete:
		if !e.seen.first(i.ID) {
			// A signed request sent again (a retrying proxy, a replay from a
			// log) would run the command, and spend the model, twice.
			e.log.Info("refused an interaction seen before", "interaction", i.ID)
			plain(w, http.StatusConflict, "interaction already handled")
			return
		}
		e.handle(w, r, &i)
	default:
		e.log.Warn("an interaction of a type storybot does not answer", "type", int(i.Type), "interaction", i.ID)
		plain(w, http.StatusBadRequest, "unsupported interaction type")
	}
}

// handle runs Handle on i in the background and answers the HTTP request
// with i's initial response as soon as Handle gives it.
func (e *endpoint) handle(w http.ResponseWriter, r *http.Request, i *discordgo.Interaction) {
	hr := &httpResponder{
		Responder: e.b.rest,
		initial:   make(chan *discordgo.InteractionResponse),
		written:   make(chan error, 1),
		over:      make(chan struct{}),
	}
	defer close(hr.over)
	handled := make(chan struct{})
	go func() {
		defer close(handled)
		e.b.Handle(hr, i) // ends within Config.ReplyTimeout, or at shutdown
	}()
	t := time.NewTimer(initialDeadline)
	defer t.Stop()
	select {
	case resp := <-hr.initial:
		hr.written <- e.reply(w, resp)
	case <-handled: // no initial response: turned away during shutdown
		plain(w, http.StatusServiceUnavailable, "storybot is restarting")
	case <-t.C:
		e.log.Error("no initial response in time", "interaction", i.ID, "after", initialDeadline)
		plain(w, http.StatusServiceUnavailable, "no response in time")
	case <-r.Context().Done():
	}
}

// reply writes resp as the JSON body of a 200 and flushes it, so that it
// is on its way to Discord before any edit of the response is sent.
func (e *endpoint) reply(w http.ResponseWriter, resp *discordgo.InteractionResponse) error {
	b, err := json.Marshal(resp)
	if err != nil {
		e.log.Error("encode the response", "err", err)
		plain(w, http.StatusInternalServerError, "internal error")
		return fmt.Errorf("encode the response: %w", err)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b))) // else the flush makes it chunked
	w.WriteHeader(http.StatusOK)
	if _, err := w.Write(b); err != nil {
		return fmt.Errorf("write the response: %w", err)
	}
	if err := http.NewResponseController(w).Flush(); err != nil {
		return fmt.Errorf("send the response: %w", err)
	}
	return nil
}

// plain writes a short text reply.
func plain(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	io.WriteString(w, msg+"\n")
}

// httpResponder is the Responder of an interaction that came over HTTP:
// its initial response is the HTTP reply, the rest goes over REST.
type httpResponder struct {
	Responder                                     // edits, follow-ups, deletes
	initial   chan *discordgo.InteractionResponse // to the HTTP handler
	written   chan error                          // how writing it went
	over      chan struct{}                       // closed when the HTTP handler returns
}

// Respond hands resp to the HTTP handler and returns once it is written.
func (r *httpResponder) Respond(ctx context.Context, _ *discordgo.Interaction, resp *discordgo.InteractionResponse) error {
	select {
	case r.initial <- resp:
		return <-r.written
	case <-r.over:
		return errTooLate
	case <-ctx.Done():
		return fmt.Errorf("send the initial response: %w", ctx.Err())
	}
}

// replays remembers the interaction IDs the endpoint has handled, for long
// enough that a signed request cannot be sent again while its timestamp is
// still accepted: IDs are kept in two generations, each lasting every (twice
// the timestamp window), so an ID is remembered for at least that long. A
// generation is also closed early at maxSeen IDs, which bounds the memory
// (about 40 MB) at the price of protection at rates far beyond one process's.
type replays struct {
	mu        sync.Mutex
	cur, prev map[uint64]struct{}
	since     time.Time
	every     time.Duration
	now       func() time.Time
}

const maxSeen = 500_000

func newReplays(every time.Duration, now func() time.Time) *replays {
	if now == nil {
		now = time.Now
	}
	return &replays{cur: map[uint64]struct{}{}, prev: map[uint64]struct{}{}, since: now(), every: every, now: now}
}

// first reports whether id has not been seen before, and remembers it.
func (r *replays) first(id string) bool {
	n, err := strconv.ParseUint(id, 10, 64)
	if err != nil {
		return true // not a snowflake: nothing Discord sends
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if now := r.now(); now.Sub(r.since) >= r.every || len(r.cur) >= maxSeen {
		r.prev, r.cur, r.since = r.cur, make(map[uint64]struct{}, len(r.cur)), now
	}
	if _, ok := r.cur[n]; ok {
		return false
	}
	if _, ok := r.prev[n]; ok {
		return false
	}
	r.cur[n] = struct{}{}
	return true
}
