package main

import (
	"context"

	cmds "github.com/storybot/storybot/commands"
	"github.com/storybot/storybot/console"
)

func init() {
	register(command{name: "console", summary: "type /story and /ask at a prompt, as on Discord", run: runConsole})
}

const consoleAbout = `
Reads commands from standard input, one a line, and answers each with the
Discord bot's /story and /ask, printed as 'storybot story' and 'storybot ask'
print them. You are the admin here: no access lists, rate limit or server
settings apply. Type /help at the prompt for the commands; /quit or Ctrl-D
leaves. The model settings (LLM_MODE, …) are read once, at the start.`

func runConsole(ctx context.Context, env *Env, args []string) error {
	fs := newFlagSet(env, "console", "console [--db FILE]", consoleAbout)
	var sf storeFlags
	fs.StringVar(&sf.db, "db", "", "SQLite database `file`, or a postgres:// URL (default $DATABASE_URL, else "+defaultDB+")")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("console takes no arguments (got %q); type commands at its prompt", pos[0])
	}
	db, sum, err := sf.openSummarizer(ctx, env)
	if err != nil {
		return err
	}
	defer db.Close()
	defer sum.Close()
	return console.Run(ctx, terminalRouter(db, sum), env.In, env.Out, env.Err)
}

// terminalRouter is the commands as the terminal serves them: the same
// /story and /ask handlers as the bot's, and no middleware, since on the
// terminal the operator is the admin (see package console).
func terminalRouter(db storyStore, sum *summarizer) *cmds.Router {
	rt := &cmds.Router{}
	rt.Handle("story", cmds.StoryHandler(cmds.Deps{Stories: db, Summarizer: sum}, db))
	rt.Handle("ask", cmds.AskHandler(cmds.AskDeps{Stories: db, Index: db, Answerer: sum.Answers}, db))
	return rt
}
