package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// askEvalFixture writes three tiny articles and a question set about them,
// and returns the question set and the articles' folder.
func askEvalFixture(t *testing.T) (data, dir string) {
	t.Helper()
	dir = t.TempDir()
	articles := map[string]string{
		"homes.txt":   "Council approves new homes\nPublished: 10:00, 1 April 2015\nThe council approved 300 new homes on Monday. Building work starts in spring.\n",
		"storm.txt":   "Storm hits the coast\nPublished: 11:00, 2 April 2015\nA storm hit the coast on Tuesday. Power was cut to 5,000 homes in the town.\n",
		"library.txt": "Library reopens after repairs\nPublished: 12:00, 3 April 2015\nThe town library reopened on Friday after a year of repairs. Children queued for the new books.\n",
	}
	for name, text := range articles {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	data = writeEvalFile(t, "qa.jsonl", `{"q": "how many homes did the council approve?", "article": "homes.txt", "keywords": ["300"]}
{"q": "how many homes lost power in the storm?", "article": "storm.txt", "keywords": ["5,000", "storm"]}
{"q": "when did the library reopen?", "article": "library.txt", "keywords": ["friday"]}
{"q": "what did the mayor say about zebras?", "unanswerable": true}
`)
	return data, dir
}

func TestEvalAskJSON(t *testing.T) {
	data, dir := askEvalFixture(t)
	db := filepath.Join(t.TempDir(), "kept.db")
	code, out, errOut := runEvalCLI(t, "eval", "ask", "--data", data, "--articles", dir, "--db", db, "--json")
	if code != exitOK {
		t.Fatalf("got exit status %d, want %d; stderr: %s", code, exitOK, errOut)
	}
	var got evalAskOutput
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, out)
	}
	if got.Articles != 3 || got.Answerable != 3 || got.Unanswerable != 1 || len(got.Results) != 4 {
		t.Fatalf("got %d stories, %d answerable, %d unanswerable, %d results, want 3, 3, 1, 4",
			got.Articles, got.Answerable, got.Unanswerable, len(got.Results))
	}
	if got.Hit1 != 1 || got.Hit5 != 1 || got.KeywordRecall != 1 || got.HonestRefusals != 1 {
		t.Errorf("got hit@1 %v, hit@5 %v, recall %v, refusals %v, want all 1", got.Hit1, got.Hit5, got.KeywordRecall, got.HonestRefusals)
	}
	if _, err := os.Stat(db); err != nil {
		t.Errorf("got %v, want the --db store kept", err)
	}
}

func TestEvalAskTable(t *testing.T) {
	data, dir := askEvalFixture(t)
	// A question whose key word the answer lacks shows up with --verbose.
	b, err := os.ReadFile(data)
	if err != nil {
		t.Fatal(err)
	}
	data = writeEvalFile(t, "qa2.jsonl", string(b)+`{"q": "what happens in spring?", "article": "homes.txt", "keywords": ["bricks"]}`+"\n")
	code, out, errOut := runEvalCLI(t, "eval", "ask", "--data", data, "--articles", dir, "--verbose")
	if code != exitOK {
		t.Fatalf("got exit status %d, want %d; stderr: %s", code, exitOK, errOut)
	}
	for _, want := range []string{
		"5 questions from " + data + " (4 answerable, 1 unanswerable) over 3 stories",
		"hit@1             1.000   0.90",
		"key-word recall   0.750   0.80",
		"honest refusals   1.000   0.80",
		"- what happens in spring?\n    want homes.txt: rank 1; first result homes.txt\n    answer from homes.txt lacks bricks\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("got output\n%s\nwant it to contain %q", out, want)
		}
	}
	if strings.Contains(out, "zebras") {
		t.Errorf("got output\n%s\nwant no line for the refused question", out)
	}
}

func TestEvalAskErrors(t *testing.T) {
	data, dir := askEvalFixture(t)
	stray := writeEvalFile(t, "stray.jsonl", `{"q": "why?", "article": "gone.txt", "keywords": ["x"]}`+"\n")
	bad := writeEvalFile(t, "bad.jsonl", `{"q": "why?"}`+"\n")
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantErr  string
	}{
		{"missing data", []string{"eval", "ask", "--articles", dir}, exitUsage, "missing --data"},
		{"missing articles", []string{"eval", "ask", "--data", data}, exitUsage, "missing --articles"},
		{"articles not a folder", []string{"eval", "ask", "--data", data, "--articles", data}, exitUsage, "is not a folder"},
		{"article not in folder", []string{"eval", "ask", "--data", stray, "--articles", dir}, exitUsage, "article gone.txt is not in"},
		{"bad question", []string{"eval", "ask", "--data", bad, "--articles", dir}, exitFailure, `bad.jsonl:1: missing "article"`},
		{"stray argument", []string{"eval", "ask", "--data", data, "--articles", dir, "extra"}, exitUsage, "takes no arguments"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, errOut := runEvalCLI(t, tt.args...)
			if code != tt.wantCode || !strings.Contains(errOut, tt.wantErr) {
				t.Errorf("got exit status %d, stderr %q; want %d and %q", code, errOut, tt.wantCode, tt.wantErr)
			}
		})
	}
}
