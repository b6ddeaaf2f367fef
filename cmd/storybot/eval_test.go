package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const evalData = `{"id":"a1","article":"The council approved 300 homes on Monday. Residents objected to the plans. Work starts in spring. More news later.","references":["The council approved 300 homes.\nWork starts in spring."]}
{"id":"a2","article":"A storm hit the coast on Monday. Trees fell across roads. Power was cut to 5,000 homes.","references":["A storm hit the coast.\nPower was cut."]}
`

// runEvalCLI runs storybot with args and returns its exit status and output.
func runEvalCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	return cli(t, "", args...)
}

func writeEvalFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestEvalSummarizeJSON(t *testing.T) {
	data := writeEvalFile(t, "dev.jsonl", evalData)
	pred := filepath.Join(t.TempDir(), "pred.jsonl")
	code, out, errOut := runEvalCLI(t, "eval", "summarize", "--data", data, "--style", "brief", "--pred-out", pred, "--json")
	if code != exitOK {
		t.Fatalf("got exit status %d, want %d; stderr: %s", code, exitOK, errOut)
	}
	var got evalOutput
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, out)
	}
	if got.Articles != 2 || got.Style != "brief" || len(got.Results) != 2 {
		t.Fatalf("got %+v, want 2 articles, style brief, 2 results", got)
	}
	if got.Results[0].System != "storybot brief" || got.Results[1].System != "lead-3" {
		t.Errorf("got systems %q and %q, want storybot brief and lead-3", got.Results[0].System, got.Results[1].System)
	}
	for _, r := range got.Results {
		if r.R1 <= 0 || r.R1 > 100 || r.Words <= 0 {
			t.Errorf("got %+v, want R-1 in (0, 100] and words > 0", r)
		}
	}
	b, err := os.ReadFile(pred)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], `{"id":"a1","summary":"The council approved 300 homes on Monday.`) {
		t.Errorf("got predictions\n%s\nwant one line an article, starting with a1's lead", b)
	}
}

func TestEvalSummarizeTable(t *testing.T) {
	data := writeEvalFile(t, "dev.jsonl", evalData)
	code, out, errOut := runEvalCLI(t, "eval", "summarize", "--data", data)
	if code != exitOK {
		t.Fatalf("got exit status %d, want %d; stderr: %s", code, exitOK, errOut)
	}
	for _, want := range []string{"2 articles", "style standard", "R-1", "articles/s", "storybot standard", "lead-3"} {
		if !strings.Contains(out, want) {
			t.Errorf("got output\n%s\nwant it to contain %q", out, want)
		}
	}
}

func TestEvalErrors(t *testing.T) {
	good := writeEvalFile(t, "good.jsonl", evalData)
	bad := writeEvalFile(t, "bad.jsonl", evalData+"{\"id\": \"a3\", \"article\": \n")
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantErr  string
	}{
		{"malformed line", []string{"eval", "summarize", "--data", bad}, exitFailure, "bad.jsonl:3: not a JSON object"},
		{"missing data flag", []string{"eval", "summarize"}, exitUsage, "missing --data"},
		{"missing file", []string{"eval", "summarize", "--data", filepath.Join(t.TempDir(), "none.jsonl")}, exitUsage, "no such file"},
		{"bad style", []string{"eval", "summarize", "--data", good, "--style", "long"}, exitUsage, "brief, standard, detailed"},
		{"no target", []string{"eval"}, exitUsage, "missing what to evaluate"},
		{"unknown target", []string{"eval", "search"}, exitUsage, `unknown evaluation "search"`},
		{"stray argument", []string{"eval", "summarize", "--data", good, "extra"}, exitUsage, "takes no arguments"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, errOut := runEvalCLI(t, tt.args...)
			if code != tt.wantCode {
				t.Errorf("got exit status %d, want %d", code, tt.wantCode)
			}
			if !strings.Contains(errOut, tt.wantErr) {
				t.Errorf("got stderr %q, want it to contain %q", errOut, tt.wantErr)
			}
		})
	}
}
