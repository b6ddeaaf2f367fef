package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	cmds "github.com/storybot/storybot/commands"
	askeval "github.com/storybot/storybot/commands/evaluate"
	"github.com/storybot/storybot/ingest"
	"github.com/storybot/storybot/store/sqlite"
	"github.com/storybot/storybot/summarize"
	"github.com/storybot/storybot/summarize/evaluate"
)

func init() {
	register(command{name: "eval", summary: "measure summary quality (ROUGE) or /ask on a question set", run: runEval})
}

const evalUsage = "eval summarize --data FILE.jsonl [--style standard] [--pred-out FILE] [--json]"

// evalUsages are the usage lines of every evaluation.
var evalUsages = []string{evalUsage, evalAskUsage}

func runEval(ctx context.Context, env *Env, args []string) error {
	if len(args) == 0 {
		return usagef("missing what to evaluate: want summarize or ask (see 'storybot eval --help')")
	}
	switch args[0] {
	case "summarize":
		return runEvalSummarize(ctx, env, args[1:])
	case "ask":
		return runEvalAsk(ctx, env, args[1:])
	case "-h", "-help", "--help", "help":
		fmt.Fprint(env.Err, "Usage:\n")
		for _, u := range evalUsages {
			fmt.Fprintf(env.Err, "  storybot %s\n", u)
		}
		fmt.Fprint(env.Err, "\nRun 'storybot eval summarize --help' or 'storybot eval ask --help' for their flags.\n")
		return nil
	}
	return usagef("unknown evaluation %q: want summarize or ask", args[0])
}

// evalOutput is what "storybot eval summarize --json" prints.
type evalOutput struct {
	Data     string            `json:"data"`
	Style    string            `json:"style"`
	Articles int               `json:"articles"`
	Results  []evaluate.Result `json:"results"`
}

func runEvalSummarize(ctx context.Context, env *Env, args []string) error {
	fs := newFlagSet(env, "eval summarize", evalUsage, `
Summarizes every article of a JSON Lines data set with storybot's extractive
summarizer and with Lead-3 (the first three sentences), and prints each one's
mean ROUGE-1, ROUGE-2 and ROUGE-L F1 (×100, ROUGE-1.5.5 conventions with
stemming), mean summary length in words and speed in articles per second.

Each line of the data holds {"id", "article", "references": ["…"]}, with an
optional "title"; references have one sentence a line.`)
	data := fs.String("data", "", "data set `FILE` in JSON Lines (required)")
	styleName := fs.String("style", summarize.Standard.String(), "summary `style`: brief, standard or detailed")
	predOut := fs.String("pred-out", "", "write storybot's summaries to `FILE`, one JSON object {\"id\", \"summary\"} a line")
	asJSON := fs.Bool("json", false, "print JSON for programs instead of a table")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("eval summarize takes no arguments (got %q)", pos[0])
	}
	if *data == "" {
		return usagef("missing --data FILE.jsonl")
	}
	style, err := summarize.ParseStyle(*styleName)
	if err != nil {
		return usagef("--style: %v", err)
	}

	examples, err := readJSONL(*data, evaluate.ReadJSONL)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	var pred *os.File
	if *predOut != "" {
		if pred, err = os.Create(*predOut); err != nil {
			return fmt.Errorf("create predictions file: %w", err)
		}
	}
	var predW io.Writer
	if pred != nil {
		predW = pred
	}
	rep, err := evaluate.Run(examples, []evaluate.System{evaluate.Storybot(style), evaluate.Lead3()}, predW)
	if pred != nil {
		if cerr := pred.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("write predictions file: %w", cerr)
		}
	}
	if err != nil {
		return err
	}

	if *asJSON {
		return writeJSON(env.Out, evalOutput{Data: *data, Style: style.String(), Articles: rep.Articles, Results: rep.Results})
	}
	fmt.Fprintf(env.Out, "%d articles from %s, style %s (ROUGE F1 ×100)\n\n", rep.Articles, *data, style)
	fmt.Fprintf(env.Out, "%-20s %6s %6s %6s %6s %11s\n", "system", "R-1", "R-2", "R-L", "words", "articles/s")
	for _, r := range rep.Results {
		fmt.Fprintf(env.Out, "%-20s %6.2f %6.2f %6.2f %6.1f %11.0f\n", r.System, r.R1, r.R2, r.RL, r.Words, r.ArticlesPerSec)
	}
	return nil
}

// readJSONL reads the JSON Lines file --data names with read, the
// format's reader (evaluate.ReadJSONL for articles, askeval.ReadJSONL for
// questions): a missing file is a usage error.
func readJSONL[T any](path string, read func(name string, r io.Reader) ([]T, error)) ([]T, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, usagef("--data: %v", err)
	}
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	defer f.Close()
	return read(path, f)
}

const evalAskUsage = "eval ask --data FILE.jsonl --articles DIR [--db FILE] [--json] [--verbose]"

// askGoals are the figures issue 6 sets for /ask over the shared sample articles.
var askGoals = struct{ Hit1, Hit5, KeywordRecall, HonestRefusals float64 }{0.9, 0.98, 0.8, 0.8}

// evalAskOutput is what "storybot eval ask --json" prints.
type evalAskOutput struct {
	Data     string `json:"data"`
	Articles int    `json:"articles"` // stories in the store
	askeval.Report
}

func runEvalAsk(ctx context.Context, env *Env, args []string) error {
	fs := newFlagSet(env, "eval ask", evalAskUsage, `
Loads the articles of DIR into a store (a temporary one unless --db is given),
asks every question of the question set as /ask does, and prints:

  hit@1, hit@5     share of answerable questions whose article is the first, or
                   among the first 5, sources /ask's retrieval finds
  key-word recall  mean share of a question's key words found in /ask's answer
  honest refusals  share of unanswerable questions answered "The stored
                   stories don't say."

Each line of the question set is {"q", "article", "keywords": [...]} with the
answering article's file name, or {"q", "unanswerable": true}.`)
	data := fs.String("data", "", "question set `FILE` in JSON Lines (required)")
	dir := fs.String("articles", "", "`DIR` of the articles the questions are about (required)")
	dbPath := fs.String("db", "", "load the articles into this SQLite `FILE` (kept) instead of a temporary store")
	asJSON := fs.Bool("json", false, "print JSON for programs instead of a table")
	verbose := fs.Bool("verbose", false, "list every question that misses")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("eval ask takes no arguments (got %q)", pos[0])
	}
	if *data == "" {
		return usagef("missing --data FILE.jsonl")
	}
	if *dir == "" {
		return usagef("missing --articles DIR")
	}
	if fi, err := os.Stat(*dir); err != nil || !fi.IsDir() {
		return usagef("--articles: %s is not a folder", *dir)
	}
	qs, err := readJSONL(*data, askeval.ReadJSONL)
	if err != nil {
		return err
	}
	for _, q := range qs {
		if q.Article == "" {
			continue
		}
		if _, err := os.Stat(filepath.Join(*dir, q.Article)); err != nil {
			return usagef("--data: question %q: article %s is not in %s", q.Q, q.Article, *dir)
		}
	}

	path := *dbPath
	if path == "" {
		tmp, err := os.MkdirTemp("", "storybot-eval-ask-")
		if err != nil {
			return fmt.Errorf("temporary store: %w", err)
		}
		defer os.RemoveAll(tmp)
		path = filepath.Join(tmp, "stories.db")
	}
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		return fmt.Errorf("open store: %w", err)
	}
	defer db.Close()
	stats, err := ingest.Run(ctx, db, []string{*dir}, ingest.Options{})
	if err != nil {
		return fmt.Errorf("load articles: %w", err)
	}
	if stats.Failed > 0 {
		fmt.Fprintf(env.Err, "eval ask: %d of the articles could not be loaded (first: %s: %s)\n",
			stats.Failed, stats.Failures[0].Source, stats.Failures[0].Reason)
	}
	n, err := db.Count(ctx)
	if err != nil {
		return err
	}
	rep, err := askeval.Run(ctx, cmds.AskDeps{Stories: db, Index: db}, qs)
	if err != nil {
		return err
	}

	if *asJSON {
		return writeJSON(env.Out, evalAskOutput{Data: *data, Articles: n, Report: rep})
	}
	printEvalAsk(env.Out, *data, n, rep, *verbose)
	return nil
}

func printEvalAsk(w io.Writer, data string, stories int, rep askeval.Report, verbose bool) {
	fmt.Fprintf(w, "%d questions from %s (%d answerable, %d unanswerable) over %d stories\n\n",
		rep.Answerable+rep.Unanswerable, data, rep.Answerable, rep.Unanswerable, stories)
	fmt.Fprintf(w, "%-16s %6s %6s\n", "metric", "value", "goal")
	row := func(name string, v, goal float64) {
		fmt.Fprintf(w, "%-16s %6.3f %6.2f\n", name, v, goal)
	}
	row("hit@1", rep.Hit1, askGoals.Hit1)
	row("hit@5", rep.Hit5, askGoals.Hit5)
	row("key-word recall", rep.KeywordRecall, askGoals.KeywordRecall)
	row("honest refusals", rep.HonestRefusals, askGoals.HonestRefusals)
	if !verbose {
		return
	}
	fmt.Fprint(w, "\nMisses:\n")
	for _, r := range rep.Results {
		if !r.Miss() {
			continue
		}
		fmt.Fprintf(w, "- %s\n", r.Q)
		if r.Unanswerable {
			fmt.Fprintf(w, "    unanswerable, but answered from %s\n", r.AnswerSource)
			continue
		}
		rank := "not in top 5"
		if r.Rank > 0 {
			rank = fmt.Sprintf("rank %d", r.Rank)
		}
		fmt.Fprintf(w, "    want %s: %s; first result %s\n", r.Article, rank, orNone(r.Top))
		if len(r.Missing) > 0 {
			fmt.Fprintf(w, "    answer from %s lacks %s\n", orNone(r.AnswerSource), strings.Join(r.Missing, ", "))
		}
	}
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}
