package main

import (
	"context"
	"strings"

	cmds "github.com/storybot/storybot/commands"
	"github.com/storybot/storybot/console"
	"github.com/storybot/storybot/summarize"
)

func init() {
	register(command{name: "story", summary: "summarize a stored story (the newest, or the best match for a query)", run: runStory})
}

const storyAbout = `
Prints a stored story's details and a summary of it: the newest story when no
QUERY is given, else the story with that ID, else the best search match.

The summary comes from the summary cache, else from the model (LLM_MODE:
openai, mock or off), else, when the model is off, fails, is slow or writes
something that does not hold up against the story, from the built-in
extractive summarizer. The last line says which. --fresh asks the model
again instead of using the cache.`

// storyOptions are the flags of "storybot story".
type storyOptions struct {
	storeFlags
	style string
	fresh bool
}

func runStory(ctx context.Context, env *Env, args []string) error {
	fs := newFlagSet(env, "story", "story [QUERY] [--style brief|standard|detailed] [--fresh] [--db FILE] [--json]", storyAbout)
	var o storyOptions
	o.add(fs)
	fs.StringVar(&o.style, "style", "standard", "summary `length`: brief, standard or detailed")
	fs.BoolVar(&o.fresh, "fresh", false, "ask the model again instead of using a cached summary")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	style, err := summarize.ParseStyle(o.style)
	if err != nil {
		return usagef("--style: %v", err)
	}
	db, sum, err := o.openSummarizer(ctx, env)
	if err != nil {
		return err
	}
	defer db.Close()
	defer sum.Close()
	r, err := storyReply(ctx, db, sum, strings.Join(pos, " "), style, o.fresh)
	if err != nil {
		return err
	}
	return console.PrintStory(env.Out, r, o.json)
}

// storyReply runs /story through the terminal's router, with its errors
// worded for a terminal.
func storyReply(ctx context.Context, db storyStore, sum *summarizer, query string, style summarize.Style, fresh bool) (cmds.StoryReply, error) {
	rep, err := terminalRouter(db, sum).Serve(ctx, &cmds.Request{Command: "story", User: console.User, Admin: true, Fresh: fresh,
		Options: map[string]string{"query": query, "style": style.String()}})
	if err != nil {
		return cmds.StoryReply{}, console.Explain(err, query)
	}
	return *rep.Story, nil
}
