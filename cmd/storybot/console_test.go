package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/storybot/storybot/console"
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

// A line the store answers with an error gets one line on stderr, and the
// loop goes on (package console tests the lines it turns away itself).
func TestConsoleBadInput(t *testing.T) {
	db := sampleDB(t)
	tests := []struct {
		name, line, want string
	}{
		{"no match", "/story zeppelin", `no story matches "zeppelin"; see what is stored with 'storybot search WORDS' or 'storybot list'` + "\n"},
		{"no such story", "/ask why? story:zeppelin", `no story matches "zeppelin"; see what is stored with 'storybot search WORDS' or 'storybot list'` + "\n"},
		{"longest line", "/story " + strings.Repeat("x", console.MaxLine-len("/story ")), `no story matches "xxx`},
		{"long line", strings.Repeat("é", console.MaxLine+1), "that line is too long (the limit is 1000 characters)\n"},
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
			if !strings.HasPrefix(out, consoleGreeting+prompt+prompt+"Commands:\n") || !strings.HasSuffix(out, prompt+"\n") {
				t.Errorf("got stdout %q, want two prompts, the help and a prompt", out)
			}
		})
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
