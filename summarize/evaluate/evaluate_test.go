package evaluate

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/storybot/storybot/summarize"
)

const twoArticles = `{"id":"a1","article":"The council approved 300 homes. Residents objected. Work starts in spring. More news later.","references":["The council approved 300 homes.\nWork starts in spring."]}

{"id":"a2","title":"Storm","article":"A storm hit the coast on Monday. Trees fell. Power was cut to 5,000 homes.","references":["A storm hit the coast.\nPower was cut."]}
`

func TestReadJSONL(t *testing.T) {
	got, err := ReadJSONL("dev.jsonl", strings.NewReader(twoArticles))
	if err != nil {
		t.Fatalf("ReadJSONL: %v", err)
	}
	if len(got) != 2 || got[0].ID != "a1" || got[1].Title != "Storm" || len(got[1].References) != 1 {
		t.Errorf("got %+v, want the two articles", got)
	}
}

func TestReadJSONLErrors(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"not json", `{"id":"a","article":"x","references":["y"]}` + "\n{oops\n", "dev.jsonl:2: not a JSON object"},
		{"no id", `{"article":"x","references":["y"]}`, `dev.jsonl:1: missing "id"`},
		{"no article", `{"id":"a","references":["y"]}`, `dev.jsonl:1: article a: missing or empty "article"`},
		{"no references", `{"id":"a","article":"x"}`, `dev.jsonl:1: article a: missing "references"`},
		{"two values", `{"id":"a","article":"x","references":["y"]} {}`, "dev.jsonl:1: more than one JSON value"},
		{"empty", "\n\n", "dev.jsonl: no articles"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadJSONL("dev.jsonl", strings.NewReader(tt.in))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestLead(t *testing.T) {
	tests := []struct {
		name string
		text string
		n    int
		want []string
	}{
		{"three of four", "One. Two. Three. Four.", 3, []string{"One.", "Two.", "Three."}},
		{"short article", "Only one.", 3, []string{"Only one."}},
		{"caption stays with the next sentence", "A caption about the club here He has impressed. Two. Three. Four.", 3,
			[]string{"A caption about the club here He has impressed.", "Two.", "Three."}},
		{"trailing caption", "One. A trailing caption without a stop", 3, []string{"One.", "A trailing caption without a stop"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Lead(tt.text, tt.n); !slices.Equal(got, tt.want) {
				t.Errorf("Lead(%q, %d) = %q, want %q", tt.text, tt.n, got, tt.want)
			}
		})
	}
}

func TestRun(t *testing.T) {
	exs, err := ReadJSONL("dev.jsonl", strings.NewReader(twoArticles))
	if err != nil {
		t.Fatal(err)
	}
	var pred bytes.Buffer
	rep, err := Run(exs, []System{Storybot(summarize.Standard), Lead3()}, &pred)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if rep.Articles != 2 || len(rep.Results) != 2 {
		t.Fatalf("got %+v, want 2 articles and 2 results", rep)
	}
	for _, r := range rep.Results {
		if r.R1 <= 0 || r.R1 > 100 || r.R2 < 0 || r.RL <= 0 || r.Words <= 0 {
			t.Errorf("got result %+v, want scores in (0, 100] and words > 0", r)
		}
	}
	if got, want := rep.Results[1].System, "lead-3"; got != want {
		t.Errorf("got second system %q, want %q", got, want)
	}
	lines := strings.Split(strings.TrimSpace(pred.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("got %d prediction lines, want 2:\n%s", len(lines), pred.String())
	}
	var p Prediction
	if err := json.Unmarshal([]byte(lines[0]), &p); err != nil {
		t.Fatalf("prediction line: %v", err)
	}
	want := strings.Join(summarize.Extract("", exs[0].Article, summarize.Standard), "\n")
	if p.ID != "a1" || p.Summary != want {
		t.Errorf("got prediction %+v, want id a1 and summary %q", p, want)
	}
}
