package sqlite

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/storybot/storybot/article"
	"github.com/storybot/storybot/internal/corpus"
	"github.com/storybot/storybot/retrieve"
)

var benchStories = flag.Int("bench-stories", 100000, "stories in the store for the search and title benchmarks")

// BenchmarkPut measures ingest into the store: b.N generated 600-word
// articles in batches of 500, as storybot ingest does.
func BenchmarkPut(b *testing.B) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	g := corpus.New(1)
	as := make([]article.Article, b.N)
	for i := range as {
		as[i] = g.Article(600)
	}
	b.ResetTimer()
	for len(as) > 0 {
		n := min(len(as), 500)
		if _, err := db.Put(ctx, as[:n]); err != nil {
			b.Fatal(err)
		}
		as = as[n:]
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "articles/s")
}

// filled returns a store holding n generated stories, made once per test
// binary run and kept in a cache folder between benchmarks.
var filledDB = map[int]*DB{}

func filled(b *testing.B, n int) *DB {
	b.Helper()
	if db := filledDB[n]; db != nil {
		return db
	}
	ctx := context.Background()
	dir, err := benchDir()
	if err != nil {
		b.Fatal(err)
	}
	// The file's name carries the schema's hash: a store filled under an
	// older schema (a different index, say) is not measured as if current.
	db, err := Open(ctx, filepath.Join(dir, fmt.Sprintf("bench-%d-%s.db", n, schemaHash(b))))
	if err != nil {
		b.Fatal(err)
	}
	have, err := db.Count(ctx)
	if err != nil {
		b.Fatal(err)
	}
	if have < n {
		b.Logf("filling the store with %d stories (kept in %s for later runs)", n, dir)
		g := corpus.New(1)
		for i := 0; i < have; i++ {
			g.Article(600)
		}
		batch := make([]article.Article, 0, 500)
		for i := have; i < n; i++ {
			batch = append(batch, g.Article(600))
			if len(batch) == cap(batch) || i == n-1 {
				if _, err := db.Put(ctx, batch); err != nil {
					b.Fatal(err)
				}
				batch = batch[:0]
			}
		}
	}
	filledDB[n] = db
	return db
}

// schemaHash is a short hash of the stories schema (migration 0001, the
// one that defines the stories and their index).
func schemaHash(b *testing.B) string {
	src, err := migrations.ReadFile("migrations/0001_stories.sql")
	if err != nil {
		b.Fatal(err)
	}
	sum := sha256.Sum256(src)
	return hex.EncodeToString(sum[:4])
}

// latencies runs op over queries b.N times and reports the 50th and 99th percentiles.
func latencies(b *testing.B, queries []string, op func(q string) error) {
	d := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := range b.N {
		t := time.Now()
		if err := op(queries[i%len(queries)]); err != nil {
			b.Fatal(err)
		}
		d = append(d, time.Since(t))
	}
	b.StopTimer()
	slices.Sort(d)
	b.ReportMetric(float64(d[len(d)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(d[len(d)*99/100].Microseconds())/1000, "p99-ms")
}

// benchQueries returns n queries of one to maxWords words drawn from the
// stored corpus's vocabulary (same seed) with its frequencies, so common
// words come up as often as in text.
func benchQueries(n, maxWords int) []string {
	g := corpus.New(1)
	qs := make([]string, n)
	for i := range qs {
		q := g.Word()
		for range i % maxWords {
			q += " " + g.Word()
		}
		qs[i] = q
	}
	return qs
}

func BenchmarkSearch(b *testing.B) {
	db := filled(b, *benchStories)
	ctx := context.Background()
	latencies(b, benchQueries(1000, 3), func(q string) error {
		_, err := db.Search(ctx, q, 10)
		return err
	})
}

func BenchmarkTitles(b *testing.B) {
	db := filled(b, *benchStories)
	ctx := context.Background()
	// What a user types into autocomplete: the first 1 to 6 letters of a word, or nothing.
	words := benchQueries(1000, 1)
	qs := make([]string, len(words))
	for i, w := range words {
		qs[i] = w[:min(len(w), i%7)]
	}
	latencies(b, qs, func(q string) error {
		_, err := db.Titles(ctx, q, 25)
		return err
	})
}

// BenchmarkRetrieve measures /ask's retrieval (retrieve.Retrieve: word
// counts, the story search and passage ranking) over the filled store, with
// questions of a question word and two to five words of the corpus.
func BenchmarkRetrieve(b *testing.B) {
	db := filled(b, *benchStories)
	ctx := context.Background()
	words := benchQueries(1000, 4)
	whs := []string{"what did", "why did", "how many", "who said", "when was"}
	qs := make([]string, len(words))
	for i, w := range words {
		qs[i] = whs[i%len(whs)] + " " + w + " " + words[(i*7+3)%len(words)] + "?"
	}
	latencies(b, qs, func(q string) error {
		_, err := retrieve.Retrieve(ctx, db, q, retrieve.Options{})
		return err
	})
}
