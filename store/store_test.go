package store

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/storybot/storybot/article"
)

func TestNewID(t *testing.T) {
	day := time.Date(2020, 8, 18, 15, 59, 0, 0, time.UTC)
	a := article.Article{Title: "A title", Body: "Body one.", Published: day}
	ids := NewID(a)
	if len(ids[0]) != IDLen || len(ids[len(ids)-1]) != 51 {
		t.Fatalf("got candidates from %d to %d characters, want %d to 51", len(ids[0]), len(ids[len(ids)-1]), IDLen)
	}
	for _, id := range ids {
		if strings.Trim(id, idAlphabet) != "" {
			t.Errorf("ID %q has characters outside %q", id, idAlphabet)
		}
		if !strings.HasPrefix(ids[len(ids)-1], id) {
			t.Errorf("candidate %q is not a prefix of the longest", id)
		}
	}
	// The identity is the title and time (no URL): a new body keeps the ID.
	b := a
	b.Body = "Body two."
	if NewID(b)[0] != ids[0] {
		t.Error("a changed body changed the ID")
	}
	b.Published = day.Add(time.Minute)
	if NewID(b)[0] == ids[0] {
		t.Error("another time gave the same ID")
	}
	// With a URL, the URL alone is the identity.
	c, d := a, a
	c.URL, d.URL = "https://example.com/x", "https://example.com/x"
	d.Title = "Corrected"
	if NewID(c)[0] != NewID(d)[0] {
		t.Error("same URL, different IDs")
	}
}

func TestTerms(t *testing.T) {
	tests := []struct {
		q    string
		want []string
	}{
		{"Brixton shooting", []string{"brixton", "shooting"}},
		{"the man who shot him", []string{"man", "shot"}},
		{"the of and", []string{"the", "of", "and"}},
		{`"quoted" AND (NEAR) -minus col:on`, []string{"quoted", "near", "minus", "col"}},
		{"Ünïcode café", []string{"ünïcode", "café"}},
		{"  ", nil},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, Terms(tt.q)); diff != "" {
			t.Errorf("Terms(%q) mismatch (-want +got):\n%s", tt.q, diff)
		}
	}
}
