package console

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/storybot/storybot/commands"
)

const greetingLine = greeting + "\n"

// recorder is a handler that keeps the requests it gets and answers each
// with reply.
type recorder struct {
	mu    sync.Mutex
	got   []commands.Request
	reply func(r *commands.Request) (commands.Reply, error)
}

func (h *recorder) Serve(_ context.Context, r *commands.Request) (commands.Reply, error) {
	h.mu.Lock()
	h.got = append(h.got, *r)
	h.mu.Unlock()
	if h.reply == nil {
		return commands.Reply{Message: "answered " + r.Command}, nil
	}
	return h.reply(r)
}

// run runs the console on input through h and returns what it printed.
func run(t *testing.T, h commands.Handler, input string) (stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	if err := Run(context.Background(), h, strings.NewReader(input), &out, &errb); err != nil {
		t.Fatalf("Run: %v", err)
	}
	return out.String(), errb.String()
}

// Each command line becomes a request from the operator, as admin, with
// no server, and its reply is printed followed by a blank line.
func TestRunRequests(t *testing.T) {
	h := &recorder{}
	out, errs := run(t, h, "/story flood homes style:brief\n  /ask Did it flood?  story:riverside \n/story\n")
	want := greetingLine + prompt + "answered story\n\n" + prompt + "answered ask\n\n" + prompt + "answered story\n\n" + prompt + "\n"
	if out != want || errs != "" {
		t.Errorf("got stdout %q, stderr %q; want %q and none", out, errs, want)
	}
	wantReqs := []commands.Request{
		{Command: "story", Options: map[string]string{"query": "flood homes", "style": "brief"}, User: User, Admin: true},
		{Command: "ask", Options: map[string]string{"question": "Did it flood?", "story": "riverside"}, User: User, Admin: true},
		{Command: "story", Options: map[string]string{}, User: User, Admin: true},
	}
	if diff := cmp.Diff(wantReqs, h.got); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
}

// The handler's errors and refusals get a line on stderr, worded for a
// terminal; no blank line follows them.
func TestRunReplies(t *testing.T) {
	tests := []struct {
		name        string
		line        string
		rep         commands.Reply
		err         error
		out, errOut string
	}{
		{"no stories", "/story", commands.Reply{}, commands.ErrNoStories, "",
			"no stories are stored yet; add some with 'storybot ingest PATH' (or try 'storybot demo')\n"},
		{"no match", "/story  zeppelin ", commands.Reply{}, fmt.Errorf("%w %q", commands.ErrNoMatch, "zeppelin"), "",
			`no story matches "zeppelin"; see what is stored with 'storybot search WORDS' or 'storybot list'` + "\n"},
		{"no such story", "/ask why? story:zeppelin", commands.Reply{}, fmt.Errorf("%w %q", commands.ErrNoMatch, "zeppelin"), "",
			`no story matches "zeppelin"; see what is stored with 'storybot search WORDS' or 'storybot list'` + "\n"},
		{"other error", "/story", commands.Reply{}, errors.New("disk on fire"), "", "disk on fire\n"},
		{"refusal", "/story", commands.Reply{Message: "No.\nReally \x1b[31mnot.", Outcome: commands.OutcomeRefused}, nil, "", "No.\nReally not.\n"},
		{"refusal with its error", "/story", commands.Reply{Message: "storybot does not know that command.", Outcome: commands.OutcomeUnknown},
			commands.ErrUnknownCommand, "", "storybot does not know that command.\n"},
		{"message", "/story", commands.Reply{Message: "Saved.\n**Style**: brief"}, nil, "Saved.\n**Style**: brief\n\n", ""},
		{"note", "/story", commands.Reply{Message: "Here.", Note: "Budget spent."}, nil, "Budget spent.\n\nHere.\n\n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := &recorder{reply: func(*commands.Request) (commands.Reply, error) { return tt.rep, tt.err }}
			out, errs := run(t, h, tt.line+"\n")
			if want := greetingLine + prompt + tt.out + prompt + "\n"; out != want {
				t.Errorf("got stdout %q, want %q", out, want)
			}
			if errs != tt.errOut {
				t.Errorf("got stderr %q, want %q", errs, tt.errOut)
			}
		})
	}
}

// A line the console turns away gets one line on stderr, the handler never
// sees it, and the loop goes on.
func TestRunBadInput(t *testing.T) {
	tests := []struct {
		name, line, want string
	}{
		{"empty line", "", "type a command, or /help for the list\n"},
		{"blank line", " \t ", "type a command, or /help for the list\n"},
		{"no slash", "story flood", "commands start with /: try /story, /ask, /help or /quit\n"},
		{"unknown command", "/summarize flood", "unknown command /summarize: try /story, /ask, /help or /quit\n"},
		{"bad style", "/story flood style:long", "style:long is not a style; want style:brief, style:standard or style:detailed\n"},
		{"two styles", "/story style:brief style:detailed", "give style: once\n"},
		{"no question", "/ask", "/ask needs a question, for example: /ask How many homes lost power?\n"},
		{"only a story", "/ask story:flood", "/ask needs a question, for example: /ask How many homes lost power?\n"},
		{"empty story", "/ask why? story: ", "story: needs a query, for example: /ask Who won? story:robotics\n"},
		{"long question", "/ask " + strings.Repeat("é", 301), "a question has at most 300 characters (this one has 301)\n"},
		{"long line", strings.Repeat("é", MaxLine+1), "that line is too long (the limit is 1000 characters)\n"},
		{"very long line", "/story " + strings.Repeat("x", 100_000), "that line is too long (the limit is 1000 characters)\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := &recorder{}
			out, errs := run(t, h, tt.line+"\n/help\n")
			if errs != tt.want {
				t.Errorf("got stderr %q, want the one line %q", errs, tt.want)
			}
			if want := greetingLine + prompt + prompt + help + prompt + "\n"; out != want {
				t.Errorf("got stdout %q, want %q", out, want)
			}
			if len(h.got) > 0 {
				t.Errorf("the handler got %+v, want nothing", h.got)
			}
		})
	}
	// The longest line is taken.
	h := &recorder{}
	out, errs := run(t, h, "/story "+strings.Repeat("x", MaxLine-len("/story "))+"\n")
	if errs != "" || len(h.got) != 1 || len(h.got[0].Option("query")) != MaxLine-len("/story ") {
		t.Errorf("a line of %d characters: got stderr %q, stdout %q, requests %d; want it answered", MaxLine, errs, out, len(h.got))
	}
}

func TestRunEnds(t *testing.T) {
	tests := []struct {
		name, input, want string
	}{
		{"no input", "", greetingLine + prompt + "\n"},
		{"quit", "/quit\n/help\n", greetingLine + prompt},
		{"quit in capitals", "  /QUIT  \n/help\n", greetingLine + prompt},
		{"help then end of input", "/help\n", greetingLine + prompt + help + prompt + "\n"},
		{"last line without a line ending", "/help", greetingLine + prompt + help + prompt + "\n"},
		{"Windows line endings", "/help\r\n/quit\r\n", greetingLine + prompt + help + prompt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, errs := run(t, &recorder{}, tt.input)
			if out != tt.want || errs != "" {
				t.Errorf("got stdout %q, stderr %q; want %q and none", out, errs, tt.want)
			}
		})
	}
}

// A read that fails ends the console with the error.
func TestRunReadError(t *testing.T) {
	var out bytes.Buffer
	broken := errors.New("broken terminal")
	err := Run(context.Background(), &recorder{}, io.MultiReader(strings.NewReader("/help\n"), errReader{broken}), &out, io.Discard)
	if !errors.Is(err, broken) {
		t.Errorf("got %v, want %v", err, broken)
	}
	if want := greetingLine + prompt + help + prompt + "\n"; out.String() != want {
		t.Errorf("got stdout %q, want %q", out.String(), want)
	}
}

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

// promptWriter records what is written and closes prompted at the first prompt.
type promptWriter struct {
	mu       sync.Mutex
	buf      bytes.Buffer
	once     sync.Once
	prompted chan struct{}
}

func (w *promptWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	n, err := w.buf.Write(p)
	if strings.Contains(w.buf.String(), prompt) {
		w.once.Do(func() { close(w.prompted) })
	}
	return n, err
}

// Cancelling the context (Ctrl-C) ends the console while it waits for a line.
func TestRunCancel(t *testing.T) {
	in, inw := io.Pipe() // a terminal where nobody types
	t.Cleanup(func() { inw.Close() })
	out := &promptWriter{prompted: make(chan struct{})}
	var errb bytes.Buffer
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error)
	go func() { done <- Run(ctx, &recorder{}, in, out, &errb) }()
	<-out.prompted
	cancel()
	if err := <-done; err != nil {
		t.Errorf("got %v, want nil\n%s", err, errb.String())
	}
	out.mu.Lock()
	defer out.mu.Unlock()
	if got, want := out.buf.String(), greetingLine+prompt+"\n"; got != want {
		t.Errorf("got stdout %q, want %q", got, want)
	}
}

// A command interrupted by Ctrl-C ends the console without an error line.
func TestRunCancelDuringCommand(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	h := &recorder{reply: func(*commands.Request) (commands.Reply, error) {
		cancel()
		return commands.Reply{}, context.Canceled
	}}
	var out, errb bytes.Buffer
	if err := Run(ctx, h, strings.NewReader("/story\n/help\n"), &out, &errb); err != nil {
		t.Fatal(err)
	}
	if want := greetingLine + prompt; out.String() != want || errb.Len() != 0 {
		t.Errorf("got stdout %q, stderr %q; want %q and none", out.String(), errb.String(), want)
	}
}

func TestParseLine(t *testing.T) {
	const id = "g8kqmm4"
	tests := []struct {
		line string
		want commands.Request
	}{
		{"/story", commands.Request{Command: "story", Options: map[string]string{}}},
		{"/story flood homes", commands.Request{Command: "story", Options: map[string]string{"query": "flood homes"}}},
		{"/story   flood\thomes  ", commands.Request{Command: "story", Options: map[string]string{"query": "flood homes"}}},
		{"/story flood style:brief homes", commands.Request{Command: "story", Options: map[string]string{"query": "flood homes", "style": "brief"}}},
		{"/Story STYLE:Detailed", commands.Request{Command: "story", Options: map[string]string{"style": "detailed"}}},
		{"/ask How many homes lost power?", commands.Request{Command: "ask", Options: map[string]string{"question": "How many homes lost power?"}}},
		{"/ask Did it flood? story:riverside homes", commands.Request{Command: "ask", Options: map[string]string{"question": "Did it flood?", "story": "riverside homes"}}},
		{"/ask Did it flood? Story:" + id, commands.Request{Command: "ask", Options: map[string]string{"question": "Did it flood?", "story": id}}},
		{"/ask What is in history:notes?", commands.Request{Command: "ask", Options: map[string]string{"question": "What is in history:notes?"}}},
		{"/help", commands.Request{Command: "help"}},
		{"/help story", commands.Request{Command: "help"}},
		{"/quit", commands.Request{Command: "quit"}},
	}
	for _, tt := range tests {
		got, err := parseLine(tt.line)
		if err != nil {
			t.Errorf("%q: %v", tt.line, err)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%q (-want +got):\n%s", tt.line, diff)
		}
	}
}
