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
	r := &run{db: db, opt: opt, start: time.Now()}
	r.lastProgress = r.start
	for _, p := range paths {
		if err := r.path(ctx, p); err != nil {
			r.stats.Elapsed = time.Since(r.start)
			return r.stats, err
		}
	}
	err := r.flush(ctx)
	r.stats.Elapsed = time.Since(r.start)
	return r.stats, err
}

type run struct {
	db           Putter
	opt          Options
	stats        Stats
	batch        []article.Article
	start        time.Time
	lastProgress time.Time
}

// fail records a failed input. A parse error's line number joins the source.
func (r *run) fail(source string, err error) {
	var pe *article.ParseError
	if errors.As(err, &pe) && pe.Line > 0 && !strings.HasSuffix(source, fmt.Sprintf(":%d", pe.Line)) {
		source = fmt.Sprintf("%s:%d", source, pe.Line)
	}
	r.stats.Failed++
	r.stats.Failures = append(r.stats.Failures, Failure{Source: source, Reason: reason(err)})
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

func (r *run) path(ctx context.Context, p string) error {
	if p == Stdin {
		if r.opt.Stdin == nil {
			r.fail("standard input", errors.New("no standard input"))
			return nil
		}
		return r.stdin(ctx)
	}
	fi, err := os.Stat(p)
	if err != nil {
		r.fail(p, err)
		return nil
	}
	if !fi.IsDir() {
		return r.file(ctx, p)
	}
	return filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			r.fail(path, err)
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
		return r.file(ctx, path)
	})
}

// file ingests one file. Files that are not .txt or .jsonl are skipped.
func (r *run) file(ctx context.Context, path string) error {
	ext := strings.ToLower(filepath.Ext(path))
	if ext != ".txt" && ext != ".jsonl" {
		r.stats.Skipped++
		r.stats.Skips = append(r.stats.Skips, path)
		return nil
	}
	f, err := os.Open(path)
	if err != nil {
		r.fail(path, err)
		return nil
	}
	defer f.Close()
	if ext == ".jsonl" {
		return r.jsonl(ctx, path, f)
	}
	a, err := article.ParseText(filepath.Base(path), f)
	if err != nil {
		r.fail(path, err)
		return nil
	}
	return r.add(ctx, a)
}

func (r *run) stdin(ctx context.Context) error {
	br := bufio.NewReader(r.opt.Stdin)
	for {
		b, err := br.Peek(1)
		if err != nil {
			r.fail("standard input", errors.New("empty input"))
			return nil
		}
		switch b[0] {
		case ' ', '\t', '\r', '\n':
			br.ReadByte()
			continue
		case '{':
			return r.jsonl(ctx, "standard input", br)
		}
		a, err := article.ParseText("standard input", br)
		if err != nil {
			r.fail("standard input", err)
			return nil
		}
		return r.add(ctx, a)
	}
}

func (r *run) jsonl(ctx context.Context, name string, rd io.Reader) error {
	jr := article.NewJSONLReader(filepath.Base(name), rd)
	for {
		a, err := jr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		var pe *article.ParseError
		if errors.As(err, &pe) {
			r.fail(name, err)
			continue
		}
		if err != nil {
			r.fail(name, err)
			return nil
		}
		if err := r.add(ctx, a); err != nil {
			return err
		}
	}
}

func (r *run) add(ctx context.Context, a article.Article) error {
	r.batch = append(r.batch, a)
	if len(r.batch) >= r.opt.BatchSize {
		return r.flush(ctx)
	}
	return nil
}

// flush stores the pending batch in one transaction.
func (r *run) flush(ctx context.Context) error {
	if len(r.batch) == 0 {
		return nil
	}
	res, err := r.db.Put(ctx, r.batch)
	if err != nil {
		return fmt.Errorf("store %d articles: %w", len(r.batch), err)
	}
	r.batch = r.batch[:0]
	for _, pr := range res {
		switch pr.Outcome {
		case store.Added:
			r.stats.Added++
		case store.Updated:
			r.stats.Updated++
		case store.Unchanged:
			r.stats.Unchanged++
		case store.Duplicate:
			r.stats.Duplicate++
		}
	}
	if r.opt.Progress != nil && time.Since(r.lastProgress) >= r.opt.ProgressEvery {
		r.lastProgress = time.Now()
		s := r.stats
		s.Elapsed = time.Since(r.start)
		r.opt.Progress(s)
	}
	return nil
}
