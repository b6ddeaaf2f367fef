package rouge

import (
	"math"
	"slices"
	"testing"
)

func TestTokenize(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"The U.S.-led e-mail’s", []string{"the", "u", "s", "led", "e", "mail", "s"}},
		{"Police ARRESTED 3 suspects", []string{"polic", "arrest", "3", "suspect"}},
		{"said children went", []string{"say", "child", "go"}}, // WordNet exceptions
		{"was bus has", []string{"was", "bus", "has"}},         // three letters or fewer: not stemmed
		{"café naïve", []string{"caf", "na", "ve"}},            // non-ASCII letters separate tokens
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := Tokenize(tt.in); !slices.Equal(got, tt.want) {
				t.Errorf("Tokenize(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestCompute(t *testing.T) {
	tests := []struct {
		name            string
		cand, ref       string
		want1, want2, l Score
	}{
		{
			name: "one sentence",
			cand: "the cat sat on the mat", ref: "the cat was on the mat",
			// unigram hits the×2, cat, on, mat = 5 of 6; bigrams the-cat, on-the,
			// the-mat = 3 of 5; LCS "the cat on the mat" = 5.
			want1: Score{5.0 / 6, 5.0 / 6, 5.0 / 6},
			want2: Score{3.0 / 5, 3.0 / 5, 3.0 / 5},
			l:     Score{5.0 / 6, 5.0 / 6, 5.0 / 6},
		},
		{
			name: "summary-level LCS (Lin 2004)",
			cand: "w1 w2 w6 w7 w8\nw1 w3 w8 w9 w5", ref: "w1 w2 w3 w4 w5",
			// union LCS of the reference with both sentences: w1 w2 w3 w5.
			want1: Score{4.0 / 10, 4.0 / 5, f(4.0/10, 4.0/5)},
			want2: Score{1.0 / 9, 1.0 / 4, f(1.0/9, 1.0/4)},
			l:     Score{4.0 / 10, 4.0 / 5, f(4.0/10, 4.0/5)},
		},
		{
			name: "clipped counts",
			cand: "go go go go", ref: "go home",
			want1: Score{1.0 / 4, 1.0 / 2, f(1.0/4, 1.0/2)},
			want2: Score{},
			l:     Score{1.0 / 4, 1.0 / 2, f(1.0/4, 1.0/2)},
		},
		{
			name: "stemming matches inflections",
			cand: "The children played", ref: "a child plays",
			// "child plai" is in both.
			want1: Score{2.0 / 3, 2.0 / 3, 2.0 / 3},
			want2: Score{1.0 / 2, 1.0 / 2, 1.0 / 2},
			l:     Score{2.0 / 3, 2.0 / 3, 2.0 / 3},
		},
		{name: "empty candidate", cand: "", ref: "a b c"},
		{name: "empty reference", cand: "a b c", ref: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Compute(tt.cand, tt.ref)
			check(t, "ROUGE-1", got.R1, tt.want1)
			check(t, "ROUGE-2", got.R2, tt.want2)
			check(t, "ROUGE-L", got.RL, tt.l)
		})
	}
}

func TestScoreMultiAddsUpReferences(t *testing.T) {
	refs := []*Reference{NewReference("a b c d"), NewReference("a b")}
	got := ScoreMulti("a b", refs)
	// Hits 2 + 2 of reference tokens 4 + 2; candidate tokens 2 per reference.
	want := Score{4.0 / 4, 4.0 / 6, f(1, 4.0/6)}
	check(t, "ROUGE-1", got.R1, want)
}

func f(p, r float64) float64 { return 2 * p * r / (p + r) }

func check(t *testing.T, name string, got, want Score) {
	t.Helper()
	const eps = 1e-9
	if math.Abs(got.P-want.P) > eps || math.Abs(got.R-want.R) > eps || math.Abs(got.F-want.F) > eps {
		t.Errorf("%s = %+v, want %+v", name, got, want)
	}
}
