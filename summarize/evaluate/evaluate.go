// Package evaluate measures storybot's extractive summaries against human
// reference summaries with ROUGE, beside the Lead-3 baseline (the first three
// sentences of the article), on a JSON Lines data set.
//
// Each line of the data holds one article:
//
//	{"id": "…", "article": "…", "references": ["sentence\nsentence", …]}
//
// with an optional "title". Other fields are ignored.
package evaluate

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/storybot/storybot/internal/jsonl"
	"github.com/storybot/storybot/newstext"
	"github.com/storybot/storybot/rouge"
	"github.com/storybot/storybot/summarize"
)

// Example is one article of a data set with its reference summaries.
type Example struct {
	ID         string   `json:"id"`
	Title      string   `json:"title,omitempty"`
	Article    string   `json:"article"`
	References []string `json:"references"` // one sentence a line
}

// maxLine is the longest line ReadJSONL accepts.
const maxLine = 16 << 20

// ReadJSONL reads a data set. name is used in error messages, which give the
// line number of a malformed line. Blank lines are skipped.
func ReadJSONL(name string, r io.Reader) ([]Example, error) {
	return jsonl.Read(name, r, jsonl.Options{What: "an article", Plural: "articles", MaxLine: maxLine}, func(ex *Example) error {
		switch {
		case ex.ID == "":
			return errors.New(`missing "id"`)
		case strings.TrimSpace(ex.Article) == "":
			return fmt.Errorf(`article %s: missing or empty "article"`, ex.ID)
		case len(ex.References) == 0:
			return fmt.Errorf(`article %s: missing "references"`, ex.ID)
		}
		return nil
	})
}

// System is a summarizer under evaluation.
type System struct {
	Name string
	// Summarize returns the summary's sentences in order.
	Summarize func(Example) []string
}

// Storybot is storybot's extractive summarizer in the given style.
func Storybot(style summarize.Style) System {
	return System{
		Name: "storybot " + style.String(),
		Summarize: func(ex Example) []string {
			return summarize.Extract(ex.Title, ex.Article, style)
		},
	}
}

// Lead3 is the Lead-3 baseline: the article's first three sentences, as the
// usual punctuation-based segmenters see them. A caption that newstext.Split
// cuts off because it was run into the text without a full stop stays joined
// to the sentence after it, which makes this the conventional CNN/DailyMail
// Lead-3 and reproduces its published scores.
func Lead3() System {
	return System{
		Name: "lead-3",
		Summarize: func(ex Example) []string {
			return Lead(ex.Article, 3)
		},
	}
}

// Lead returns the first n sentences of text as Lead3 counts them.
func Lead(text string, n int) []string {
	var out []string
	var pending string
	for _, s := range newstext.Split(text) {
		if pending != "" {
			s = pending + " " + s
			pending = ""
		}
		if !endsSentence(s) {
			pending = s
			continue
		}
		if out = append(out, s); len(out) == n {
			return out
		}
	}
	if pending != "" {
		out = append(out, pending)
	}
	return out
}

// endsSentence reports whether s ends in closing punctuation, maybe followed
// by closing quotes or brackets.
func endsSentence(s string) bool {
	s = strings.TrimRight(s, "\"'’”)]")
	r, _ := utf8.DecodeLastRuneInString(s)
	return r == '.' || r == '!' || r == '?' || r == '…'
}

// Result is one system's scores on a data set: mean ROUGE F1 ×100 over the
// articles, mean summary length in words (newstext.Words) and speed.
type Result struct {
	System         string  `json:"system"`
	R1             float64 `json:"rouge1"`
	R2             float64 `json:"rouge2"`
	RL             float64 `json:"rougeL"`
	Words          float64 `json:"words"`
	ArticlesPerSec float64 `json:"articles_per_sec"`
}

// Report is the outcome of Run.
type Report struct {
	Articles int      `json:"articles"`
	Results  []Result `json:"results"`
}

// Prediction is one line of the predictions file.
type Prediction struct {
	ID      string `json:"id"`
	Summary string `json:"summary"` // one sentence a line
}

// Run summarizes every example with each system and scores the summaries. The
// speed covers summarizing only, not scoring. When predictions is not nil, the
// first system's summaries are written to it as JSON Lines of Prediction.
func Run(examples []Example, systems []System, predictions io.Writer) (Report, error) {
	refs := make([][]*rouge.Reference, len(examples))
	for i, ex := range examples {
		for _, r := range ex.References {
			refs[i] = append(refs[i], rouge.NewReference(r))
		}
	}
	rep := Report{Articles: len(examples)}
	for k, sys := range systems {
		summaries := make([][]string, len(examples))
		start := time.Now()
		for i, ex := range examples {
			summaries[i] = sys.Summarize(ex)
		}
		elapsed := time.Since(start)

		res := Result{System: sys.Name}
		if elapsed > 0 {
			res.ArticlesPerSec = float64(len(examples)) / elapsed.Seconds()
		}
		var enc *json.Encoder
		if k == 0 && predictions != nil {
			enc = json.NewEncoder(predictions)
			enc.SetEscapeHTML(false)
		}
		for i, ex := range examples {
			text := strings.Join(summaries[i], "\n")
			if enc != nil {
				if err := enc.Encode(Prediction{ID: ex.ID, Summary: text}); err != nil {
					return Report{}, fmt.Errorf("write prediction for %s: %w", ex.ID, err)
				}
			}
			s := rouge.ScoreMulti(text, refs[i])
			res.R1 += s.R1.F
			res.R2 += s.R2.F
			res.RL += s.RL.F
			res.Words += float64(newstext.Words(text))
		}
		n := float64(len(examples))
		res.R1 *= 100 / n
		res.R2 *= 100 / n
		res.RL *= 100 / n
		res.Words /= n
		rep.Results = append(rep.Results, res)
	}
	return rep, nil
}
