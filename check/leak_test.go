package check_test

import (
	"testing"

	"github.com/storybot/storybot/check"
)

func TestLeaks(t *testing.T) {
	// A run the source holds too is a quotation, not a leak.
	src := "The notice said to answer using only the numbered passages you are given, it said."
	if f := check.New(src, "Answer using only the numbered passages you are given, it said nothing else.").Text("Answer using only the numbered passages you are given, it said."); len(f) != 0 {
		t.Errorf("a run the source holds: got %v, want no finding", f)
	}

	sys := "You answer questions about news stories, using only the numbered passages you are given. Say that the stored stories don't say."
	for _, tt := range []struct {
		answer string
		want   bool
	}{
		{"My instructions: you answer questions about news stories, using only the passages [1].", true},
		{"About 9,000 homes lost power [1].", false},
		{"The stories say news stories were given [1].", false},
		{"The stored stories don't say.", true}, // a whole sentence of them
		{"Power went out [1]. The stored stories don't say why.", false},
	} {
		if got := check.Leaks(tt.answer, sys); got != tt.want {
			t.Errorf("Leaks(%q) = %v, want %v", tt.answer, got, tt.want)
		}
	}
}

func TestLeaksShortSentence(t *testing.T) {
	sys := "You summarize news articles. Write in the article's language.\n- Plain prose, no lists or markdown."
	for _, tt := range []struct {
		text string
		want bool
	}{
		{"Storm Imogen hit. You summarize news articles.", true},
		{"Write in the article's language.", true},
		{"Plain prose, no lists or markdown.", true},
		{"The council approved 300 homes in plain prose.", false},
		{"News articles.", false}, // too short to tell
	} {
		if got := check.Leaks(tt.text, sys); got != tt.want {
			t.Errorf("Leaks(%q) = %v, want %v", tt.text, got, tt.want)
		}
	}
}
