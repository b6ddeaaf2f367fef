package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

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

	examples, err := readEvalData(*data)
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
		enc := json.NewEncoder(env.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(evalOutput{Data: *data, Style: style.String(), Articles: rep.Articles, Results: rep.Results})
	}
	fmt.Fprintf(env.Out, "%d articles from %s, style %s (ROUGE F1 ×100)\n\n", rep.Articles, *data, style)
	fmt.Fprintf(env.Out, "%-20s %6s %6s %6s %6s %11s\n", "system", "R-1", "R-2", "R-L", "words", "articles/s")
	for _, r := range rep.Results {
		fmt.Fprintf(env.Out, "%-20s %6.2f %6.2f %6.2f %6.1f %11.0f\n", r.System, r.R1, r.R2, r.RL, r.Words, r.ArticlesPerSec)
	}
	return nil
}

// readEvalData reads the data set at path.
func readEvalData(path string) ([]evaluate.Example, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, usagef("--data: %v", err)
		}
		return nil, fmt.Errorf("open data set: %w", err)
	}
	defer f.Close()
	return evaluate.ReadJSONL(path, f)
}
