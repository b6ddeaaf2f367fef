package main

import (
	"context"
	"errors"
	"strings"

	cmds "github.com/storybot/storybot/commands"
	"github.com/storybot/storybot/console"
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
	if strings.TrimSpace(q) == "" {
		return errors.New(`ask needs a question, for example: storybot ask "How many homes lost power?"`)
	}
	return console.CheckQuestion(q)
}

// ask runs the /ask command and prints its reply.
func ask(ctx context.Context, env *Env, db storyStore, sum *summarizer, question, storyQuery string, asJSON bool) error {
	// Through the terminal's router, as the console asks.
	rep, err := terminalRouter(db, sum).Serve(ctx, &cmds.Request{Command: "ask", User: console.User, Admin: true,
		Options: map[string]string{"question": question, "story": storyQuery}})
	switch {
	case errors.Is(err, cmds.ErrQuestion):
		return usageError{checkQuestion(question)}
	case err != nil:
		return console.Explain(err, storyQuery)
	}
	return console.PrintAnswer(env.Out, *rep.Ask, asJSON)
}
