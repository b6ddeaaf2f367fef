package corpus

import (
	"strings"
	"testing"
)

func TestDeterministicAndSized(t *testing.T) {
	a, b := New(1).Article(600), New(1).Article(600)
	if a != b {
		t.Fatal("same seed gave different articles")
	}
	if n := len(strings.Fields(a.Body)); n < 600 || n > 700 {
		t.Errorf("got %d words, want about 600", n)
	}
	if New(2).Article(600) == a {
		t.Error("different seeds gave the same article")
	}
}
