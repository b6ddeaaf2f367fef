package rouge_test

import (
	"math"
	"os"
	"testing"

	"github.com/storybot/storybot/internal/shared"
	"github.com/storybot/storybot/summarize/evaluate"
)

// TestLead3MatchesReference checks the scorer against the figures published
// with the dev set (ROUGE-1.5.5 -n 2 -m -a -f A -p 0.5, mean over the 250).
func TestLead3MatchesReference(t *testing.T) {
	path := shared.Path(t, "data", "summ-dev-cnndm-frank250.jsonl")
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	exs, err := evaluate.ReadJSONL(path, f)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := evaluate.Run(exs, []evaluate.System{evaluate.Lead3()}, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := rep.Results[0]
	for _, m := range []struct {
		name      string
		got, want float64
	}{
		{"ROUGE-1", got.R1, 41.69},
		{"ROUGE-2", got.R2, 19.00},
		{"ROUGE-L", got.RL, 37.70},
	} {
		if math.Abs(m.got-m.want) > 0.05 {
			t.Errorf("Lead-3 %s F1 = %.3f, want %.2f ± 0.05", m.name, m.got, m.want)
		}
	}
}
