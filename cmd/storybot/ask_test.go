package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/storybot/storybot/console"
	"github.com/storybot/storybot/generate"
	"github.com/storybot/storybot/llm/mock"
)

const (
	stormTitle = "Storm Imogen cuts power to 9,000 homes as trees fall across Hollinsford roads"
	stormQuote = "About 9,000 homes in and around Hollinsford lost power overnight as Storm Imogen brought gusts of up to 78mph to the area."
	askFooter  = "\n— Offline answer (extractive, quoted from the sources): no model is configured (LLM_MODE=off)\n"
	noAnswer   = "The stored stories don't say.\n"
	noSource   = "\n— No stored story speaks to this question\n"
)

// linkedDB returns sampleDB with one more story, ingested from JSON Lines,
// that has a URL, and that story's ID.
func linkedDB(t *testing.T) (db, id string) {
	t.Helper()
	db = sampleDB(t)
	path := filepath.Join(t.TempDir(), "more.jsonl")
	line := `{"title":"Ferry Lane flood wall opens","body":"The new flood wall along Ferry Lane opened on Monday. It cost £1.8 million and protects 40 homes.","url":"https://news.example/ferry-lane-wall","published":"2026-11-25T09:00:00Z"}` + "\n"
	if err := os.WriteFile(path, []byte(line), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out, errs := cli(t, "", "ingest", "--quiet", "--db", db, path); code != 0 {
		t.Fatalf("ingest: exit %d\n%s%s", code, out, errs)
	}
	code, out, errs := cli(t, "", "search", "ferry wall opens", "--db", db, "--json")
	var hits []hitJSON
	if err := json.Unmarshal([]byte(out), &hits); code != 0 || err != nil || len(hits) == 0 {
		t.Fatalf("search: exit %d, %v\n%s%s", code, err, out, errs)
	}
	return db, hits[0].ID
}

func TestAsk(t *testing.T) {
	db, wallID := linkedDB(t)
	tests := []struct {
		name     string
		args     []string
		code     int
		want     []string // in stdout, in this order
		dontWant string   // not in stdout
		errMsg   string   // in stderr
	}{
		{
			name: "best match",
			args: []string{"How many homes lost power?"},
			want: []string{"“About 9,000 homes in and around Hollinsford lost power overnight as Storm\nImogen brought gusts of up to 78mph to the area.” [1]\n", "\nSources:\n[1] " + stormTitle + "\n    2026-11-05  ID ", askFooter},
		},
		{
			name: "question in several arguments",
			args: []string{"How", "many", "homes", "lost", "power?"},
			want: []string{"“About 9,000 homes", "[1] " + stormTitle},
		},
		{
			name: "chosen story",
			args: []string{"Did the land flood?", "--story", "riverside homes"},
			want: []string{"warned that the land floods most winters.” [1]", "[1] " + floodTitle + "\n    2026-11-02  ID " + floodID + "\n", askFooter},
		},
		{
			name: "chosen story by ID",
			args: []string{"--story", floodID, "Did the land flood?"},
			want: []string{"[1] " + floodTitle},
		},
		{
			name: "source with a link",
			args: []string{"What did the flood wall cost?", "--story", wallID},
			want: []string{"“It cost £1.8 million and protects 40 homes.” [1]\n", "[1] Ferry Lane flood wall opens\n    2026-11-25  https://news.example/ferry-lane-wall  ID " + wallID + "\n"},
		},
		{
			name:     "nothing matches",
			args:     []string{"zebra giraffe"},
			want:     []string{noAnswer, noSource},
			dontWant: "Sources:",
		},
		{
			name: "longest question",
			args: []string{strings.Repeat("é", 300)},
			want: []string{noAnswer},
		},
		{name: "no such story", args: []string{"why?", "--story", "zeppelin"}, code: 1, errMsg: `storybot ask: no story matches "zeppelin"; see what is stored with 'storybot search WORDS'`},
		{name: "no question", args: nil, code: 2, errMsg: "storybot ask: ask needs a question, for example:"},
		{name: "blank question", args: []string{"  "}, code: 2, errMsg: "storybot ask: ask needs a question"},
		{name: "long question", args: []string{strings.Repeat("é", 301)}, code: 2, errMsg: "storybot ask: a question has at most 300 characters (this one has 301)"},
		{name: "bad flag", args: []string{"why?", "--style", "brief"}, code: 2, errMsg: "flag provided but not defined: -style"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errs := cli(t, "", append([]string{"ask", "--db", db}, tt.args...)...)
			if code != tt.code {
				t.Fatalf("got exit %d, want %d\n%s%s", code, tt.code, out, errs)
			}
			if tt.errMsg != "" {
				if !strings.Contains(errs, tt.errMsg) || out != "" {
					t.Errorf("got stderr %q, stdout %q; want %q and no output", errs, out, tt.errMsg)
				}
				return
			}
			if errs != "" {
				t.Errorf("got stderr %q, want none", errs)
			}
			rest := out
			for _, w := range tt.want {
				i := strings.Index(rest, w)
				if i < 0 {
					t.Fatalf("output lacks %q (or has it out of order):\n%s", w, out)
				}
				rest = rest[i+len(w):]
			}
			if tt.dontWant != "" && strings.Contains(out, tt.dontWant) {
				t.Errorf("output has %q:\n%s", tt.dontWant, out)
			}
		})
	}
}

func TestAskJSON(t *testing.T) {
	db, wallID := linkedDB(t)
	tests := []struct {
		name string
		args []string
		want console.AskJSON
	}{
		{
			name: "with a link",
			args: []string{"What did the flood wall cost?", "--story", "ferry wall"},
			want: console.AskJSON{
				Question: "What did the flood wall cost?",
				Answer:   "“The new flood wall along Ferry Lane opened on Monday.” [1] “It cost £1.8 million and protects 40 homes.” [1]",
				Answered: true,
				Quotes:   []console.QuoteJSON{{Text: "The new flood wall along Ferry Lane opened on Monday.", Source: 1}, {Text: "It cost £1.8 million and protects 40 homes.", Source: 1}},
				Engine:   "extractive",
				Fallback: &generate.Fallback{Code: "off", Reason: "no model is configured (LLM_MODE=off)"},
				Note:     "Offline answer (extractive, quoted from the sources): no model is configured (LLM_MODE=off)",
				Sources: []console.SourceJSON{{
					N: 1, ID: wallID, Title: "Ferry Lane flood wall opens", URL: "https://news.example/ferry-lane-wall",
					Published: time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC),
				}},
			},
		},
		{
			name: "no answer",
			args: []string{"zebra giraffe"},
			want: console.AskJSON{
				Question: "zebra giraffe",
				Answer:   "The stored stories don't say.",
				Quotes:   []console.QuoteJSON{},
				Engine:   "extractive",
				Note:     "No stored story speaks to this question",
				Sources:  []console.SourceJSON{},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errs := cli(t, "", append([]string{"ask", "--db", db, "--json"}, tt.args...)...)
			if code != 0 {
				t.Fatalf("got exit %d, want 0\n%s%s", code, out, errs)
			}
			var got console.AskJSON
			if err := json.Unmarshal([]byte(out), &got); err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("reply (-want +got):\n%s", diff)
			}
			// Programs can count on the lists being lists.
			for _, key := range []string{`"quotes": [`, `"sources": [`} {
				if !strings.Contains(out, key) {
					t.Errorf("output lacks %q:\n%s", key, out)
				}
			}
		})
	}
}

// With a model, /ask's answer is the model's, with its citation, and when
// the model fails it is the quoted one, labelled, with a warning on stderr.
func TestAskMockMode(t *testing.T) {
	db := sampleDB(t)
	code, out, errs := cliEnv(t, map[string]string{"LLM_MODE": "mock"}, "ask", "How many homes lost power?", "--db", db)
	if code != 0 || !strings.Contains(strings.Join(strings.Fields(out), " "), stormQuote+" [1] Sources:") || !strings.Contains(out, "— Answered by mock from the stored stories") || errs != "" {
		t.Errorf("got exit %d, want the model's answer\n%s%s", code, out, errs)
	}
	code, out, errs = cliEnv(t, map[string]string{"LLM_MODE": "mock", "LLM_MODEL": mock.FaultError500}, "ask", "How many homes lost power?", "--db", db)
	if code != 0 || !strings.Contains(out, "“"+stormQuote[:40]) || !strings.Contains(out, "— Offline answer (extractive, quoted from the sources): ") ||
		!strings.Contains(errs, "answer fell back to extractive") {
		t.Errorf("got exit %d, want the quoted answer and a warning\n%s%s", code, out, errs)
	}
}
