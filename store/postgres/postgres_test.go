package postgres

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/storybot/storybot/article"
	"github.com/storybot/storybot/internal/pgtest"
	"github.com/storybot/storybot/store"
	"github.com/storybot/storybot/store/storetest"
)

// openURL opens the store at url, closing it when the test ends.
func openURL(t *testing.T, url string) *DB {
	t.Helper()
	db, err := Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// TestStore runs the tests every backend shares (store/storetest), each on
// a schema of its own.
func TestStore(t *testing.T) {
	pgtest.Require(t)
	storetest.Run(t, func(t *testing.T) storetest.Store {
		return openURL(t, pgtest.URL(t))
	})
}

// Replicas starting at once apply each migration exactly once.
func TestMigrationsConcurrentOpen(t *testing.T) {
	url := pgtest.URL(t)
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Go(func() {
			db, err := Open(context.Background(), url)
			if err == nil {
				db.Close()
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("replica %d: %v", i, err)
		}
	}
	var n, max int
	err := pgtest.Conn(t, url).QueryRow(context.Background(), `SELECT count(*), max(version) FROM schema_migrations`).Scan(&n, &max)
	if err != nil {
		t.Fatal(err)
	}
	if want := migrationCount(t); n != want || max != want {
		t.Errorf("schema_migrations: got %d rows up to version %d, want %d", n, max, want)
	}
}

func migrationCount(t *testing.T) int {
	entries, err := migrations.ReadDir("migrations")
	if err != nil {
		t.Fatal(err)
	}
	return len(entries)
}

func TestNewerSchemaRefused(t *testing.T) {
	url := pgtest.URL(t)
	openURL(t, url).Close()
	if _, err := pgtest.Conn(t, url).Exec(context.Background(), `INSERT INTO schema_migrations (version, name) VALUES (99, 'future.sql')`); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(context.Background(), url); err == nil || !strings.Contains(err.Error(), "upgrade storybot") {
		t.Errorf("got %v, want an error asking to upgrade", err)
	}
}

// Two replicas writing the same articles at once store each once.
func TestPutConcurrentReplicas(t *testing.T) {
	url := pgtest.URL(t)
	a, b := openURL(t, url), openURL(t, url)
	var as []article.Article
	for i := range 50 {
		as = append(as, storetest.Art(fmt.Sprintf("Story %d", i), fmt.Sprintf("Body %d.", i), storetest.Day))
	}
	var wg sync.WaitGroup
	res := make([][]store.PutResult, 2)
	for i, db := range []*DB{a, b} {
		wg.Go(func() {
			r, err := db.Put(context.Background(), as)
			if err != nil {
				t.Error(err)
			}
			res[i] = r
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	for i := range as {
		got := []store.Outcome{res[0][i].Outcome, res[1][i].Outcome}
		if res[0][i].ID != res[1][i].ID || got[0]+got[1] != store.Added+store.Unchanged {
			t.Errorf("article %d: got %+v and %+v, want it added once and unchanged once", i, res[0][i], res[1][i])
		}
	}
	if n, _ := a.Count(context.Background()); n != len(as) {
		t.Errorf("count: got %d, want %d", n, len(as))
	}
}

// Errors name the server but never hold the password.
func TestOpenErrorHidesPassword(t *testing.T) {
	const secret = "s3cret-Pass"
	for _, url := range []string{
		"postgres://storybot:" + secret + "@127.0.0.1:1/storybot?connect_timeout=5",
		"postgresql://storybot@127.0.0.1:1/storybot?password=" + secret + "&connect_timeout=5",
		"postgres://storybot:" + secret + "@127.0.0.1:1/storybot?sslmode=bogus",
		"postgres://storybot@127.0.0.1:1/storybot?sslmode=require&sslkey=k.pem&sslpassword=" + secret + "&connect_timeout=5",
		"host=127.0.0.1 port=1 user=storybot password=" + secret + " dbname=storybot connect_timeout=5",
		"host=127.0.0.1 port=1 user=storybot password='" + secret + " x' dbname=storybot connect_timeout=5",
	} {
		_, err := Open(context.Background(), url)
		if err == nil {
			t.Fatalf("%s: opened a server that is not there", Redact(url))
		}
		if strings.Contains(err.Error(), secret) {
			t.Errorf("the error holds the password: %v", err)
		}
		if r := Redact(url); strings.Contains(r, secret) || !strings.Contains(r, "127.0.0.1") {
			t.Errorf("Redact: got %q, want the URL without its password", r)
		}
	}
}

// PostgreSQL's English configuration leaves out stop words of its own
// ("against" is one, not storybot's): DocFreq says so, so that retrieval
// does not weigh them as the rarest words of all.
func TestDocFreqIgnored(t *testing.T) {
	db := openURL(t, pgtest.URL(t))
	df, err := db.DocFreq(context.Background(), []string{"against", "flood"})
	if err != nil {
		t.Fatal(err)
	}
	if !df.Ignored["against"] || df.Ignored["flood"] {
		t.Errorf("got ignored %v, want against only", df.Ignored)
	}
}
