package main

import (
	"bytes"
	"context"
	"io"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/storybot/storybot/summarize"
)

const (
	consoleGreeting = "storybot console: type /help for the commands, /quit or Ctrl-D to leave.\n"
	prompt          = "storybot> "
)

// cliIn runs storybot in-process with args, stdin and the environment vars.
func cliIn(t *testing.T, vars map[string]string, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = Run(context.Background(), args, &IO{In: strings.NewReader(stdin), Out: &out, Err: &errb}, func(k string) string { return vars[k] })
	return code, out.String(), errb.String()
}

// The console prints what "storybot story" and "storybot ask" print, each
// reply after a prompt and followed by a blank line.
func TestConsoleSameAsCommands(t *testing.T) {
	db := sampleDB(t)
	run := func(args ...string) string {
		t.Helper()
		code, out, errs := cli(t, "", append(args, "--db", db)...)
		if code != 0 || errs != "" {
			t.Fatalf("%v: exit %d\n%s%s", args, code, out, errs)
		}
		return out
	}
	want := consoleGreeting +
		prompt + run("story") + "\n" +
		prompt + run("story", "flood homes", "--style", "brief") + "\n" +
		prompt + run("story", floodID, "--style", "detailed") + "\n" +
		prompt + run("ask", "How many homes lost power?") + "\n" +
		prompt + run("ask", "Did the land flood?", "--story", "riverside homes") + "\n" +
		prompt + run("ask", "zebra giraffe") + "\n" +
		prompt + "\n"
	input := strings.Join([]string{
		"/story",
		"/story flood homes style:brief",
		"/story style:detailed " + floodID,
		"/ask How many homes lost power?",
		"  /ask Did the land flood?   story:riverside homes  ",
		"/ask zebra giraffe",
	}, "\n") + "\n"
	code, out, errs := cli(t, input, "console", "--db", db)
	if code != 0 || errs != "" {
		t.Errorf("got exit %d, stderr %q; want 0 and none", code, errs)
	}
	if diff := cmp.Diff(want, out); diff != "" {
		t.Errorf("transcript (-want +got):\n%s", diff)
	}
}

// In mock mode the console starts the mock once and keeps one summarizer:
// the second /story of the same story is a cache hit.
func TestConsoleMockMode(t *testing.T) {
	db := sampleDB(t)
	code, out, errs := cliIn(t, map[string]string{"LLM_MODE": "mock"}, "/story flood homes\n/story flood homes\n/quit\n", "console", "--db", db)
	if code != 0 || errs != "" {
		t.Fatalf("got exit %d, stderr %q; want 0 and none\n%s", code, errs, out)
	}
	first := strings.Index(out, "— Summarized by mock\n")
	second := strings.Index(out, "— Summarized by mock (cached)\n")
	if first < 0 || second < first || strings.Count(out, floodTitle) != 2 {
		t.Errorf("got output\n%s\nwant the flood story by the mock, then from the cache", out)
	}
}

func TestConsoleBadInput(t *testing.T) {
	db := sampleDB(t)
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
		{"no match", "/story zeppelin", `no story matches "zeppelin"; see what is stored with 'storybot search WORDS' or 'storybot list'` + "\n"},
		{"no such story", "/ask why? story:zeppelin", `no story matches "zeppelin"; see what is stored with 'storybot search WORDS' or 'storybot list'` + "\n"},
		{"longest line", "/story " + strings.Repeat("x", maxConsoleLine-len("/story ")), `no story matches "xxx`},
		{"long line", strings.Repeat("é", maxConsoleLine+1), "that line is too long (the limit is 1000 characters)\n"},
		{"very long line", "/story " + strings.Repeat("x", 100_000), "that line is too long (the limit is 1000 characters)\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The loop goes on: /help after the bad line is answered.
			code, out, errs := cli(t, tt.line+"\n/help\n", "console", "--db", db)
			if code != 0 {
				t.Errorf("got exit %d, want 0", code)
			}
			if !strings.HasPrefix(errs, tt.want) || strings.Count(errs, "\n") != 1 {
				t.Errorf("got stderr %q, want the one line %q", errs, tt.want)
			}
			if want := consoleGreeting + prompt + prompt + consoleHelp + prompt + "\n"; out != want {
				t.Errorf("got stdout %q, want %q", out, want)
			}
		})
	}
}

func TestConsoleEnds(t *testing.T) {
	db := sampleDB(t)
	tests := []struct {
		name, input, want string
	}{
		{"no input", "", consoleGreeting + prompt + "\n"},
		{"quit", "/quit\n/help\n", consoleGreeting + prompt},
		{"quit in capitals", "  /QUIT  \n/help\n", consoleGreeting + prompt},
		{"help then end of input", "/help\n", consoleGreeting + prompt + consoleHelp + prompt + "\n"},
		{"last line without a line ending", "/help", consoleGreeting + prompt + consoleHelp + prompt + "\n"},
		{"Windows line endings", "/help\r\n/quit\r\n", consoleGreeting + prompt + consoleHelp + prompt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errs := cli(t, tt.input, "console", "--db", db)
			if code != 0 || errs != "" {
				t.Errorf("got exit %d, stderr %q; want 0 and none", code, errs)
			}
			if out != tt.want {
				t.Errorf("got stdout %q, want %q", out, tt.want)
			}
		})
	}
}

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
func TestConsoleCancel(t *testing.T) {
	db := sampleDB(t)
	in, inw := io.Pipe() // a terminal where nobody types
	t.Cleanup(func() { inw.Close() })
	out := &promptWriter{prompted: make(chan struct{})}
	var errb bytes.Buffer
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	code := make(chan int)
	go func() {
		code <- Run(ctx, []string{"console", "--db", db}, &IO{In: in, Out: out, Err: &errb}, func(string) string { return "" })
	}()
	<-out.prompted
	cancel()
	if got := <-code; got != 0 {
		t.Errorf("got exit %d, want 0\n%s", got, errb.String())
	}
	out.mu.Lock()
	defer out.mu.Unlock()
	if got, want := out.buf.String(), consoleGreeting+prompt+"\n"; got != want {
		t.Errorf("got stdout %q, want %q", got, want)
	}
}

func TestConsoleUsage(t *testing.T) {
	db := sampleDB(t)
	tests := []struct {
		vars map[string]string
		args []string
		want string
	}{
		{nil, []string{"flood"}, `storybot console: console takes no arguments (got "flood"); type commands at its prompt`},
		{nil, []string{"--json"}, "flag provided but not defined: -json"},
		{map[string]string{"LLM_MODE": "cloud"}, nil, `LLM_MODE: "cloud" is not a mode; want openai, mock or off`},
	}
	for _, tt := range tests {
		code, out, errs := cliIn(t, tt.vars, "/story\n", append([]string{"console", "--db", db}, tt.args...)...)
		if code != 2 || !strings.Contains(errs, tt.want) || out != "" {
			t.Errorf("%v %v: got exit %d, stderr %q, stdout %q; want exit 2 and %q", tt.vars, tt.args, code, errs, out, tt.want)
		}
	}
}

func TestParseConsoleLine(t *testing.T) {
	tests := []struct {
		line string
		want consoleCommand
	}{
		{"/story", consoleCommand{name: "story", style: summarize.Standard}},
		{"/story flood homes", consoleCommand{name: "story", query: "flood homes", style: summarize.Standard}},
		{"/story   flood\thomes  ", consoleCommand{name: "story", query: "flood homes", style: summarize.Standard}},
		{"/story flood style:brief homes", consoleCommand{name: "story", query: "flood homes", style: summarize.Brief}},
		{"/Story STYLE:Detailed", consoleCommand{name: "story", style: summarize.Detailed}},
		{"/ask How many homes lost power?", consoleCommand{name: "ask", question: "How many homes lost power?"}},
		{"/ask Did it flood? story:riverside homes", consoleCommand{name: "ask", question: "Did it flood?", storyQuery: "riverside homes"}},
		{"/ask Did it flood? Story:" + floodID, consoleCommand{name: "ask", question: "Did it flood?", storyQuery: floodID}},
		{"/ask What is in history:notes?", consoleCommand{name: "ask", question: "What is in history:notes?"}},
		{"/help", consoleCommand{name: "help"}},
		{"/help story", consoleCommand{name: "help"}},
		{"/quit", consoleCommand{name: "quit"}},
	}
	for _, tt := range tests {
		got, err := parseConsoleLine(tt.line)
		if err != nil {
			t.Errorf("%q: %v", tt.line, err)
			continue
		}
		if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(consoleCommand{})); diff != "" {
			t.Errorf("%q (-want +got):\n%s", tt.line, diff)
		}
	}
}
