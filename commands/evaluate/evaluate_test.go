package evaluate

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/storybot/storybot/article"
	"github.com/storybot/storybot/commands"
	"github.com/storybot/storybot/internal/shared"
	"github.com/storybot/storybot/store/sqlite"
)

func TestReadJSONLErrors(t *testing.T) {
	tests := []struct {
		name, data, want string
	}{
		{"not JSON", "{nope\n", "qa.jsonl:1: not a JSON object"},
		{"unknown field", `{"q": "why?", "artcle": "a.txt", "keywords": ["x"]}`, "unknown field"},
		{"missing q", `{"article": "a.txt", "keywords": ["x"]}`, `qa.jsonl:1: missing "q"`},
		{"missing article", `{"q": "why?", "keywords": ["x"]}`, `missing "article"`},
		{"missing keywords", `{"q": "why?", "article": "a.txt"}`, `missing "keywords"`},
		{"empty keyword", `{"q": "why?", "article": "a.txt", "keywords": [" "]}`, "empty key word"},
		{"unanswerable with article", `{"q": "why?", "article": "a.txt", "unanswerable": true}`, "unanswerable question has no"},
		{"too long", `{"q": "` + strings.Repeat("why ", 100) + `", "unanswerable": true}`, "longer than 300"},
		{"two values", `{"q": "why?", "unanswerable": true} {}`, "more than one JSON value"},
		{"empty", "\n\n", "qa.jsonl: no questions"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadJSONL("qa.jsonl", strings.NewReader(tt.data))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

// The repository's question set parses, has both kinds of question, and
// every answerable question names a shared sample article that holds its key
// words.
func TestDevQuestionSet(t *testing.T) {
	f, err := os.Open(filepath.Join("..", "..", "testdata", "qa", "dev.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	qs, err := ReadJSONL("dev.jsonl", f)
	if err != nil {
		t.Fatal(err)
	}
	var answerable, unanswerable int
	articles := map[string]bool{}
	for _, q := range qs {
		if q.Unanswerable {
			unanswerable++
			continue
		}
		answerable++
		articles[q.Article] = true
		for _, k := range q.Keywords {
			if k != strings.ToLower(k) {
				t.Errorf("%q: got key word %q, want it in lower case", q.Q, k)
			}
		}
	}
	if answerable < 50 || unanswerable < 10 || len(articles) < 40 {
		t.Errorf("got %d answerable questions over %d articles and %d unanswerable, want at least 50 over 40 and 10",
			answerable, len(articles), unanswerable)
	}

	dir := shared.Path(t, "data", "articles")
	for _, q := range qs {
		if q.Unanswerable {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, q.Article))
		if err != nil {
			t.Errorf("%q: %v", q.Q, err)
			continue
		}
		text := strings.ToLower(string(b))
		for _, k := range q.Keywords {
			if !strings.Contains(text, k) {
				t.Errorf("%q: got no %q in %s, want the key word in the article", q.Q, k, q.Article)
			}
		}
	}
}

func TestRun(t *testing.T) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "stories.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	_, err = db.Put(ctx, []article.Article{
		{Source: "homes.txt", Title: "Council approves new homes", Body: "The council approved 300 new homes on Monday. Building work starts in spring."},
		{Source: "storm.txt", Title: "Storm hits the coast", Body: "A storm hit the coast on Tuesday. Power was cut to 5,000 homes in the town."},
	})
	if err != nil {
		t.Fatal(err)
	}
	qs := []Question{
		{Q: "how many homes did the council approve?", Article: "homes.txt", Keywords: []string{"300", "bricks"}},
		{Q: "which coast did the storm hit?", Article: "homes.txt", Keywords: []string{"coast"}}, // wrong article on purpose
		{Q: "what did the mayor say about zebras?", Unanswerable: true},
		{Q: "when was the storm?", Unanswerable: true}, // answered: not a refusal
	}
	rep, err := Run(ctx, commands.AskDeps{Stories: db, Index: db}, qs)
	if err != nil {
		t.Fatal(err)
	}
	got := []float64{rep.Hit1, rep.Hit5, rep.KeywordRecall, rep.HonestRefusals}
	want := []float64{0.5, 0.5, 0.75, 0.5} // recall: (1/2 + 1) / 2
	for i, name := range []string{"hit@1", "hit@5", "key-word recall", "honest refusals"} {
		if got[i] != want[i] {
			t.Errorf("%s: got %v, want %v", name, got[i], want[i])
		}
	}
	if rep.Answerable != 2 || rep.Unanswerable != 2 || len(rep.Results) != 4 {
		t.Errorf("got %d answerable, %d unanswerable, %d results, want 2, 2, 4", rep.Answerable, rep.Unanswerable, len(rep.Results))
	}
	if r := rep.Results[0]; r.Rank != 1 || len(r.Missing) != 1 || r.Missing[0] != "bricks" || !r.Miss() {
		t.Errorf("got %+v, want rank 1, missing bricks, a miss", r)
	}
	if r := rep.Results[2]; !r.Refused || r.Answer != "The stored stories don't say." || r.Miss() {
		t.Errorf("got %+v, want a refusal", r)
	}
}
