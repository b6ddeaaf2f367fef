package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	cmds "github.com/storybot/storybot/commands"
	"github.com/storybot/storybot/generate"
)

func init() {
	register(command{name: "ask", summary: "answer a question from the stored stories, with sources", run: runAsk})
}

const askAbout = `
Answers QUESTION from the stored stories, as /ask does on Discord. Retrieval
finds the passages of the stories that bear on the question (of the one
story --story picks, an ID or words as for 'storybot story', when given);
the model answers from them, citing them as [1], [2]…, and the sources are
listed under the answer. When the model is off, fails or is not trusted, the
answer quotes the passages' best sentences instead, and says so. When no
stored story answers, it says so (exit status 0).

A question has 1 to 300 characters, the limit of Discord's /ask. The model
settings are the LLM_* variables, as for 'storybot story'.`

func runAsk(ctx context.Context, env *Env, args []string) error {
	fs := newFlagSet(env, "ask", "ask QUESTION [--story QUERY] [--db FILE] [--json]", askAbout)
	var sf storeFlags
	sf.add(fs)
	storyQuery := fs.String("story", "", "answer from the story `QUERY` picks: an ID or words (default: all stories)")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	question := strings.TrimSpace(strings.Join(pos, " "))
	if err := checkQuestion(question); err != nil {
		return usageError{err}
	}
	db, sum, err := sf.openSummarizer(ctx, env)
	if err != nil {
		return err
	}
	defer db.Close()
	defer sum.Close()
	return ask(ctx, env, db, sum, question, *storyQuery, sf.json)
}

// checkQuestion checks a question against /ask's limits, with a message fit
// for a terminal.
func checkQuestion(q string) error {
	switch n := len([]rune(strings.TrimSpace(q))); {
	case n == 0:
		return errors.New(`ask needs a question, for example: storybot ask "How many homes lost power?"`)
	case n > cmds.MaxQuestion:
		return fmt.Errorf("a question has at most %d characters (this one has %d)", cmds.MaxQuestion, n)
	}
	return nil
}

// ask runs the /ask command and prints its reply.
func ask(ctx context.Context, env *Env, db storyStore, sum *summarizer, question, storyQuery string, asJSON bool) error {
	r, err := askReply(ctx, cmds.AskDeps{Stories: db, Index: db, Answerer: sum.Answers}, question, storyQuery)
	if err != nil {
		return err
	}
	if asJSON {
		return writeJSON(env.Out, newAskReplyJSON(r))
	}
	printAnswer(env.Out, r)
	return nil
}

// askReply runs the /ask command, with its errors worded for a terminal.
func askReply(ctx context.Context, d cmds.AskDeps, question, storyQuery string) (cmds.AskReply, error) {
	r, err := cmds.Ask(ctx, d, question, storyQuery)
	switch {
	case errors.Is(err, cmds.ErrQuestion):
		return r, usageError{checkQuestion(question)}
	case errors.Is(err, cmds.ErrNoStories):
		return r, errors.New("no stories are stored yet; add some with 'storybot ingest PATH' (or try 'storybot demo')")
	case errors.Is(err, cmds.ErrNoMatch):
		return r, fmt.Errorf("no story matches %q; see what is stored with 'storybot search WORDS' or 'storybot list'", strings.TrimSpace(storyQuery))
	}
	return r, err
}

// printAnswer prints an /ask reply: the answer, its numbered sources and
// the line saying how the answer was made.
func printAnswer(w io.Writer, r cmds.AskReply) {
	if qs := r.Answer.Quotes; len(qs) > 0 {
		for _, q := range qs {
			fmt.Fprintln(w, wrap(clean(fmt.Sprintf("“%s” [%d]", q.Text, q.Source)), 78))
		}
	} else {
		fmt.Fprintln(w, wrap(clean(r.Text()), 78))
	}
	if srcs := r.Sources(); len(srcs) > 0 {
		fmt.Fprint(w, "\nSources:\n")
		for _, s := range srcs {
			fmt.Fprintf(w, "[%d] %s\n    %s", s.N, clean(s.Title), s.Published.Format("2006-01-02"))
			if s.URL != "" {
				fmt.Fprintf(w, "  %s", clean(s.URL))
			}
			fmt.Fprintf(w, "  ID %s\n", s.ID)
		}
	}
	fmt.Fprintf(w, "\n— %s\n", clean(r.EngineNote()))
}

// askReplyJSON is "storybot ask --json".
type askReplyJSON struct {
	Question string `json:"question"`
	// Answer is the answer's text with its citations: [n] is the source
	// whose "n" is n.
	Answer string `json:"answer"`
	// Answered is false when the stored stories don't say.
	Answered bool `json:"answered"`
	// Quotes are an extractive answer's sentences, each with its source.
	Quotes []quoteJSON `json:"quotes"`
	// Engine is the model that wrote the answer, or "extractive".
	Engine   string             `json:"engine"`
	Model    string             `json:"model,omitempty"`
	Cached   bool               `json:"cached"`
	Fallback *generate.Fallback `json:"fallback"`
	Note     string             `json:"note"`
	Sources  []sourceJSON       `json:"sources"` // the sources cited, by n
}

type quoteJSON struct {
	Text   string `json:"text"`
	Source int    `json:"source"`
}

// sourceJSON is a story an answer cites.
type sourceJSON struct {
	N         int       `json:"n"`
	ID        string    `json:"id"`
	Title     string    `json:"title"`
	Published time.Time `json:"published"`
	URL       string    `json:"url"`
}

func newAskReplyJSON(r cmds.AskReply) askReplyJSON {
	a := r.Answer
	out := askReplyJSON{
		Question: r.Question, Answer: a.Text, Answered: a.Answered, Quotes: []quoteJSON{},
		Engine: a.Engine, Model: a.Model, Cached: a.Cached, Fallback: a.Fallback,
		Note: r.EngineNote(), Sources: []sourceJSON{},
	}
	for _, q := range a.Quotes {
		out.Quotes = append(out.Quotes, quoteJSON{Text: q.Text, Source: q.Source})
	}
	for _, s := range r.Sources() {
		out.Sources = append(out.Sources, sourceJSON{N: s.N, ID: s.ID, Title: s.Title, Published: s.Published, URL: s.URL})
	}
	return out
}
