// Package ingest reads articles from files, folders and standard input and
// puts them into a store in batches, reporting what happened to each input.
package ingest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/storybot/storybot/article"
	"github.com/storybot/storybot/store"
)

// Putter stores a batch of articles atomically.
type Putter interface {
	Put(ctx context.Context, as []article.Article) ([]store.PutResult, error)
}

// Stdin is the path that names standard input.
const Stdin = "-"

// Options configure a Run.
type Options struct {
	// BatchSize is how many articles go into one transaction (default 500).
	// A crash loses at most the batch being written.
	BatchSize int
	// Stdin is read for the path "-".
	Stdin io.Reader
	// Progress, when set, is called about every ProgressEvery with the counts so far.
	Progress      func(Stats)
	ProgressEvery time.Duration // default 2s
}

// Failure is an input that could not be ingested, and why.
type Failure struct {
	Source string `json:"source"`
	Reason string `json:"reason"`
}

// Stats counts what a Run did.
type Stats struct {
	Added     int           `json:"added"`
	Updated   int           `json:"updated"`
	Unchanged int           `json:"unchanged"`
	Duplicate int           `json:"duplicate"` // same text as a story stored under another identity
	Skipped   int           `json:"skipped"`   // files that are not .txt or .jsonl
	Failed    int           `json:"failed"`
	Failures  []Failure     `json:"failures"`
	Skips     []string      `json:"skipped_files"`
	Elapsed   time.Duration `json:"-"`
}

// Articles is the number of articles read successfully.
func (s Stats) Articles() int { return s.Added + s.Updated + s.Unchanged + s.Duplicate }

// Run ingests every path: files (.txt in the plain-text format, .jsonl in JSON
// Lines), folders (recursively; other files are skipped and counted) and "-"
// for standard input (JSON Lines if it starts with "{", else one plain-text
// article). Bad input is counted in Stats.Failures and everything valid is
// stored. The error is non-nil only when storing failed or ctx was cancelled;
// the Stats then count what was committed before.
func Run(ctx context.Context, db Putter, paths []string, opt Options) (Stats, error) {
	if opt.BatchSize <= 0 {
		opt.BatchSize = 500
	}
	if opt.ProgressEvery <= 0 {
		opt.ProgressEvery = 2 * time.Second
	}
	// Reading and parsing run in their own goroutine, ahead of the writer, so
	// both cores are busy; items keep the order the inputs were read in.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	items := make(chan item, opt.BatchSize)
	rd := &reader{opt: opt, items: items}
	go func() {
		defer close(items)
		for _, p := range paths {
			if rd.path(ctx, p) != nil {
				return
			}
		}
	}()

	w := &writer{db: db, opt: opt, start: time.Now(), stats: Stats{Failures: []Failure{}, Skips: []string{}}}
	w.lastProgress = w.start
	err := w.consume(ctx, items)
	cancel()
	// The reader stops at its next send; it may be blocked reading standard
	// input until then, so it is drained in the background, not waited for.
	go func() {
		for range items {
		}
	}()
	w.stats.Elapsed = time.Since(w.start)
	return w.stats, err
}

// item is one result of reading the input: an article, a failure or a skipped file.
type item struct {
	article *article.Article
	failure *Failure
	skipped string
}

// reader walks the inputs and parses them into items.
type reader struct {
	opt   Options
	items chan<- item
}

func (rd *reader) send(ctx context.Context, it item) error {
	select {
	case rd.items <- it:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// writer stores the articles it receives in batches and counts everything.
type writer struct {
	db           Putter
	opt          Options
	stats        Stats
	batch        []article.Article
	start        time.Time
	lastProgress time.Time
}

func (w *writer) consume(ctx context.Context, items <-chan item) error {
	for it := range items {
		switch {
		case it.article != nil:
			w.batch = append(w.batch, *it.article)
			if len(w.batch) >= w.opt.BatchSize {
				if err := w.flush(ctx); err != nil {
					return err
				}
			}
		case it.failure != nil:
			w.stats.Failed++
			w.stats.Failures = append(w.stats.Failures, *it.failure)
		default:
			w.stats.Skipped++
			w.stats.Skips = append(w.stats.Skips, it.skipped)
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return w.flush(ctx)
}

// fail records a failed input. A parse error's line number joins the source.
func (rd *reader) fail(ctx context.Context, source string, err error) error {
	var pe *article.ParseError
	if errors.As(err, &pe) && pe.Line > 0 {
		source = fmt.Sprintf("%s:%d", source, pe.Line)
	}
	return rd.send(ctx, item{failure: &Failure{Source: source, Reason: reason(err)}})
}

// reason is an error as a user reads it: a parse error already names its file.
func reason(err error) string {
	var pe *article.ParseError
	if errors.As(err, &pe) {
		return pe.Reason
	}
	var pathErr *fs.PathError
	if errors.As(err, &pathErr) {
		return pathErr.Err.Error()
	}
	return err.Error()
}

func (rd *reader) path(ctx context.Context, p string) error {
	if p == Stdin {
		if rd.opt.Stdin == nil {
			return rd.fail(ctx, "standard input", errors.New("no standard input"))
		}
		return rd.stdin(ctx)
	}
	fi, err := os.Stat(p)
	if err != nil {
		return rd.fail(ctx, p, err)
	}
	if !fi.IsDir() {
		return rd.file(ctx, p)
	}
	return filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if err := rd.fail(ctx, path, err); err != nil {
				return err
			}
			if d != nil && d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if d.IsDir() {
			if path != p && strings.HasPrefix(d.Name(), ".") {
				return filepath.SkipDir // .git and the like
			}
			return nil
		}
		return rd.file(ctx, path)
	})
}

// file ingests one file. Files that are not .txt or .jsonl are skipped.
func (rd *reader) file(ctx context.Context, path string) error {
	ext := strings.ToLower(filepath.Ext(path))
	if ext != ".txt" && ext != ".jsonl" {
		return rd.send(ctx, item{skipped: path})
	}
	f, err := os.Open(path)
	if err != nil {
		return rd.fail(ctx, path, err)
	}
	defer f.Close()
	if ext == ".jsonl" {
		return rd.jsonl(ctx, path, f)
	}
	a, err := article.ParseText(filepath.Base(path), f)
	if err != nil {
		return rd.fail(ctx, path, err)
	}
	return rd.send(ctx, item{article: &a})
}

func (rd *reader) stdin(ctx context.Context) error {
	br := bufio.NewReader(rd.opt.Stdin)
	for {
		b, err := br.Peek(1)
		if err != nil {
			return rd.fail(ctx, "standard input", errors.New("empty input"))
		}
		switch b[0] {
		case ' ', '\t', '\r', '\n':
			br.ReadByte()
			continue
		case '{':
			return rd.jsonl(ctx, "standard input", br)
		}
		a, err := article.ParseText("standard input", br)
		if err != nil {
			return rd.fail(ctx, "standard input", err)
		}
		return rd.send(ctx, item{article: &a})
	}
}

func (rd *reader) jsonl(ctx context.Context, name string, in io.Reader) error {
	jr := article.NewJSONLReader(filepath.Base(name), in)
	for {
		a, err := jr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		var pe *article.ParseError
		switch {
		case errors.As(err, &pe):
			err = rd.fail(ctx, name, err) // a bad line: go on with the next
		case err != nil:
			return rd.fail(ctx, name, err) // the input itself failed: stop reading it
		default:
			err = rd.send(ctx, item{article: &a})
		}
		if err != nil {
			return err
		}
	}
}

// flush stores the pending batch in one transaction.
func (w *writer) flush(ctx context.Context) error {
	if len(w.batch) == 0 {
		return nil
	}
	res, err := w.db.Put(ctx, w.batch)
	if err != nil {
		return fmt.Errorf("store %d articles: %w", len(w.batch), err)
	}
	w.batch = w.batch[:0]
	for _, pr := range res {
		switch pr.Outcome {
		case store.Added:
			w.stats.Added++
		case store.Updated:
			w.stats.Updated++
		case store.Unchanged:
			w.stats.Unchanged++
		case store.Duplicate:
			w.stats.Duplicate++
		}
	}
	if w.opt.Progress != nil && time.Since(w.lastProgress) >= w.opt.ProgressEvery {
		w.lastProgress = time.Now()
		s := w.stats
		s.Elapsed = time.Since(w.start)
		w.opt.Progress(s)
	}
	return nil
}
