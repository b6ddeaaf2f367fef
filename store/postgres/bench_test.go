package postgres

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/storybot/storybot/article"
	"github.com/storybot/storybot/internal/corpus"
	"github.com/storybot/storybot/internal/pgtest"
	"github.com/storybot/storybot/store"
)

var benchStories = flag.Int("bench-stories", 20000, "stories in the store for the search and title benchmarks")

// BenchmarkPut measures ingest: b.N generated 600-word articles in batches
// of 500, as storybot ingest does.
func BenchmarkPut(b *testing.B) {
	ctx := context.Background()
	db, err := Open(ctx, pgtest.URL(b))
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

// filled returns a store holding n generated stories, in a schema named for
// n and the stories schema's hash that is kept for later runs (unlike the
// tests' schemas).
func filled(b *testing.B, n int) *DB {
	b.Helper()
	base := pgtest.Require(b)
	src, err := migrations.ReadFile("migrations/0001_stories.sql")
	if err != nil {
		b.Fatal(err)
	}
	sum := sha256.Sum256(src)
	schema := fmt.Sprintf("storybot_bench_%d_%s", n, hex.EncodeToString(sum[:4]))
	ctx := context.Background()
	conn := pgtest.Conn(b, base)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA IF NOT EXISTS "+schema); err != nil {
		b.Fatal(err)
	}
	u, err := url.Parse(base)
	if err != nil {
		b.Fatal("bad URL")
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	db, err := Open(ctx, u.String())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	have, err := db.Count(ctx)
	if err != nil {
		b.Fatal(err)
	}
	if have < n {
		b.Logf("filling schema %s with %d stories (kept for later runs)", schema, n)
		g := corpus.New(1)
		for range have {
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
		if _, err := db.pool.Exec(ctx, "VACUUM ANALYZE stories"); err != nil {
			b.Fatal(err)
		}
	}
	return db
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
// stored corpus's vocabulary with its frequencies, so common words come up
// as often as in text.
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
	qs := benchQueries(1000, 2)
	for i, q := range qs {
		qs[i] = q[:min(len(q), 1+i%6)] // what is typed so far
	}
	latencies(b, qs, func(q string) error {
		_, err := db.Titles(ctx, q, 25)
		return err
	})
}

func BenchmarkCachedSummaryHit(b *testing.B) {
	ctx := context.Background()
	db, err := Open(ctx, pgtest.URL(b))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	if err := db.PutSummary(ctx, "key", store.Summary{Text: "A summary of a story in a few words.", Model: "mock"}); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, ok, err := db.CachedSummary(ctx, "key"); !ok || err != nil {
			b.Fatalf("got ok=%v err=%v", ok, err)
		}
	}
}
