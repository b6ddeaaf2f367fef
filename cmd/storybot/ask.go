package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	cmds "github.com/storybot/storybot/commands"
	"github.com/storybot/storybot/store/sqlite"
	"github.com/storybot/storybot/summarize"
)

func init() {
	register(command{name: "ask", summary: "answer a question from the stored stories, with sources", run: runAsk})
}

const askAbout = `
Answers QUESTION from the stored stories, as /ask does on Discord: from the
story --story picks (an ID or words, as for 'storybot story'), else from the
best search match for the question. The answer quotes the story's sentences
that bear on the question, marked [1], and lists the story as source [1].
When no stored story answers, it says so (exit status 0).

A question has 1 to 300 characters, the limit of Discord's /ask.`

func runAsk(ctx context.Context, env *Env, args []string) error {
	fs := newFlagSet(env, "ask", "ask QUESTION [--story QUERY] [--db FILE] [--json]", askAbout)
	var sf storeFlags
	sf.add(fs)
	storyQuery := fs.String("story", "", "answer from the story `QUERY` picks: an ID or words (default: the best match for the question)")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	question := strings.TrimSpace(strings.Join(pos, " "))
	if err := checkQuestion(question); err != nil {
		return usageError{err}
	}
	db, err := sf.open(ctx, env)
	if err != nil {
		return err
	}
	defer db.Close()
	return ask(ctx, env, db, question, *storyQuery, sf.json)
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
func ask(ctx context.Context, env *Env, db *sqlite.DB, question, storyQuery string, asJSON bool) error {
	r, err := askReply(ctx, db, question, storyQuery)
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
func askReply(ctx context.Context, db *sqlite.DB, question, storyQuery string) (cmds.AskReply, error) {
	r, err := cmds.Ask(ctx, db, question, storyQuery)
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
	if !r.Answered() {
		fmt.Fprintln(w, clean(r.Text()))
	}
	for _, q := range r.Quotes {
		fmt.Fprintln(w, wrap(clean("“"+q+"” [1]"), 78))
	}
	if srcs := askSources(r); len(srcs) > 0 {
		fmt.Fprint(w, "\nSources:\n")
		for i, s := range srcs {
			fmt.Fprintf(w, "[%d] %s\n    %s", i+1, clean(s.Title), s.Published.Format("2006-01-02"))
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
	Answer   string `json:"answer"`
	// Answered is false when the stored stories don't say.
	Answered bool `json:"answered"`
	// Quotes are the answer's sentences, each from source [1].
	Quotes  []string     `json:"quotes"`
	Engine  string       `json:"engine"`
	Note    string       `json:"note"`
	Sources []sourceJSON `json:"sources"` // [1] is Sources[0]
}

// sourceJSON is a story an answer cites.
type sourceJSON struct {
	ID        string    `json:"id"`
	Title     string    `json:"title"`
	Published time.Time `json:"published"`
	URL       string    `json:"url"`
}

func newAskReplyJSON(r cmds.AskReply) askReplyJSON {
	return askReplyJSON{
		Question: r.Question,
		Answer:   r.Text(),
		Answered: r.Answered(),
		Quotes:   append([]string{}, r.Quotes...),
		// Until retrieval over several stories lands, /ask quotes its
		// source as it stands (see commands.AskReply).
		Engine:  summarize.Extractive,
		Note:    r.EngineNote(),
		Sources: askSources(r),
	}
}

// askSources lists the stories an /ask reply cites, [1] first.
func askSources(r cmds.AskReply) []sourceJSON {
	if r.Story.ID == "" {
		return []sourceJSON{}
	}
	s := r.Story
	return []sourceJSON{{ID: s.ID, Title: s.Title, Published: s.Published, URL: s.URL}}
}
