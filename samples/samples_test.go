package samples

import (
	"io/fs"
	"testing"

	"github.com/storybot/storybot/article"
)

func TestSamplesParse(t *testing.T) {
	names, err := fs.Glob(FS, "*.txt")
	if err != nil {
		t.Fatal(err)
	}
	if len(names) < 5 {
		t.Fatalf("got %d samples, want at least 5", len(names))
	}
	for _, n := range names {
		f, err := FS.Open(n)
		if err != nil {
			t.Fatal(err)
		}
		a, err := article.ParseText(n, f)
		f.Close()
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		if a.Published.IsZero() || len(a.Paragraphs()) < 4 {
			t.Errorf("%s: got %+v", n, a)
		}
	}
}
