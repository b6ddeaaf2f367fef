package ingest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/storybot/storybot/article"
	"github.com/storybot/storybot/store"
	"github.com/storybot/storybot/store/sqlite"
)

func openStore(t *testing.T) *sqlite.DB {
	t.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "test.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func textArticle(i int) string {
	return fmt.Sprintf("Story number %d\nPublished: 10:%02d, 1 May 2020\nParagraph one of story %d.\nParagraph two.\n", i, i%60, i)
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestThousandFilesOneBroken(t *testing.T) {
	dir := t.TempDir()
	for i := range 1000 {
		write(t, filepath.Join(dir, fmt.Sprintf("d%d", i%7), fmt.Sprintf("%04d.txt", i)), textArticle(i))
	}
	write(t, filepath.Join(dir, "d3", "broken.txt"), "A title\nPublished: yesterday\nBody.\n")
	write(t, filepath.Join(dir, "README.md"), "# not an article\n")
	write(t, filepath.Join(dir, ".git", "HEAD.txt"), "not walked\n")

	db := openStore(t)
	st, err := Run(context.Background(), db, []string{dir}, Options{BatchSize: 64})
	if err != nil {
		t.Fatal(err)
	}
	if st.Added != 1000 || st.Failed != 1 || st.Skipped != 1 {
		t.Errorf("got added %d, failed %d, skipped %d; want 1000, 1, 1", st.Added, st.Failed, st.Skipped)
	}
	want := filepath.Join(dir, "d3", "broken.txt") + ":2"
	if len(st.Failures) != 1 || st.Failures[0].Source != want || !strings.Contains(st.Failures[0].Reason, "not in the form") {
		t.Errorf("got failures %+v, want one for %s", st.Failures, want)
	}
	if n, _ := db.Count(context.Background()); n != 1000 {
		t.Errorf("stored %d, want 1000", n)
	}

	// Again: everything is unchanged.
	st, err = Run(context.Background(), db, []string{dir}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if st.Unchanged != 1000 || st.Added+st.Updated != 0 {
		t.Errorf("second run: got %+v, want 1000 unchanged", st)
	}
}

func TestBadFiles(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"empty.txt":   "",
		"binary.txt":  "\x00\x01\x02\x03ELF",
		"title.txt":   "Only a title\n",
		"latin1.txt":  "Caf\xe9 news\nPublished: 10:00, 1 May 2020\nBody.\n",
		"big.txt":     "Big\nPublished: 10:00, 1 May 2020\n" + strings.Repeat("All work and no play. ", 250000) + "\n",
		"dup-a.txt":   textArticle(1),
		"dup-b.txt":   textArticle(1),
		"mixed.jsonl": `{"title":"J1","body":"B1","published":"2020-05-01T10:00:00Z"}` + "\nnot json\n" + `{"title":"J2","body":"B2","published":"2020-05-01T10:00:00Z"}` + "\n",
	}
	for name, content := range files {
		write(t, filepath.Join(dir, name), content)
	}
	db := openStore(t)
	st, err := Run(context.Background(), db, []string{dir, filepath.Join(dir, "missing.txt")}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if st.Added != 3 || st.Unchanged != 1 || st.Failed != 7 {
		t.Errorf("got added %d, unchanged %d, failed %d; want 3, 1, 7", st.Added, st.Unchanged, st.Failed)
	}
	reasons := map[string]string{}
	for _, f := range st.Failures {
		reasons[filepath.Base(f.Source)] = f.Reason
	}
	want := map[string]string{
		"empty.txt":     "empty file",
		"binary.txt":    "not a text file",
		"title.txt:1":   "ends after the title",
		"latin1.txt:1":  "invalid UTF-8",
		"big.txt":       "larger than",
		"mixed.jsonl:2": "not valid JSON",
		"missing.txt":   "no such file",
	}
	for src, reason := range want {
		if !strings.Contains(reasons[src], reason) {
			t.Errorf("%s: got reason %q, want one containing %q (all: %v)", src, reasons[src], reason, reasons)
		}
	}
}

func TestStdin(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		added int
	}{
		{"text", "\n" + textArticle(3), 1},
		{"jsonl", `{"title":"J1","body":"B1","published":"2020-05-01T10:00:00Z"}` + "\n" + `{"title":"J2","body":"B2","published":"2020-05-01T10:00:00Z"}`, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, err := Run(context.Background(), openStore(t), []string{Stdin}, Options{Stdin: strings.NewReader(tt.in)})
			if err != nil {
				t.Fatal(err)
			}
			if st.Added != tt.added || st.Failed != 0 {
				t.Errorf("got %+v, want %d added", st, tt.added)
			}
		})
	}
}

// failingStore stores the first batches and then fails.
type failingStore struct {
	Putter
	okBatches int
}

func (f *failingStore) Put(ctx context.Context, as []article.Article) ([]store.PutResult, error) {
	if f.okBatches == 0 {
		return nil, errors.New("disk full")
	}
	f.okBatches--
	return f.Putter.Put(ctx, as)
}

func TestStoreFailureStopsAndCounts(t *testing.T) {
	dir := t.TempDir()
	for i := range 50 {
		write(t, filepath.Join(dir, fmt.Sprintf("%02d.txt", i)), textArticle(i))
	}
	db := openStore(t)
	st, err := Run(context.Background(), &failingStore{Putter: db, okBatches: 2}, []string{dir}, Options{BatchSize: 10})
	if err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("got error %v, want the store's", err)
	}
	if st.Added != 20 {
		t.Errorf("got %d added, want 20 (two committed batches)", st.Added)
	}
	if n, _ := db.Count(context.Background()); n != 20 {
		t.Errorf("stored %d, want 20", n)
	}
}

func TestCancel(t *testing.T) {
	dir := t.TempDir()
	for i := range 20 {
		write(t, filepath.Join(dir, fmt.Sprintf("%02d.txt", i)), textArticle(i))
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Run(ctx, openStore(t), []string{dir}, Options{})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("got %v, want context.Canceled", err)
	}
}
