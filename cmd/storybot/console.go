package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/storybot/storybot/summarize"
)

func init() {
	register(command{name: "console", summary: "type /story and /ask at a prompt, as on Discord", run: runConsole})
}

const consoleAbout = `
Reads commands from standard input, one a line, and answers each as the
Discord bot would, in the terminal ('storybot story' and 'storybot ask' run
the same code). Type /help at the prompt for the commands; /quit or Ctrl-D
leaves. The model settings (LLM_MODE, …) are read once, at the start.`

// consoleHelp is what /help prints.
const consoleHelp = `Commands:
  /story [QUERY] [style:brief|standard|detailed]
      Summarize a story: the newest when no QUERY is given, else the story
      with that ID, else the best match for the words. Example:
      /story flood homes style:brief
  /ask QUESTION [story:QUERY]
      Answer a question from the stored stories, with sources. Everything
      after story: picks the story to answer from. Example:
      /ask How many homes lost power? story:storm
  /help
      Show this list.
  /quit
      Leave (so does Ctrl-D).
`

// maxConsoleLine is the longest line the console takes, in characters.
const maxConsoleLine = 1000

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
	return console(ctx, env, db, sum)
}

// console runs the read-answer loop until /quit, the end of the input or
// the end of ctx.
func console(ctx context.Context, env *Env, db storyStore, sum *summarizer) error {
	fmt.Fprintln(env.Out, "storybot console: type /help for the commands, /quit or Ctrl-D to leave.")
	lines := make(chan consoleInput)
	done := make(chan struct{})
	defer close(done)
	// The reader ends at the end of the input, or once the loop has
	// returned and it has read one more line; until then a read blocked on
	// a terminal outlives the loop, which only matters to a process that
	// goes on after storybot console (none does).
	go readLines(env.In, lines, done)
	for {
		fmt.Fprint(env.Out, "storybot> ")
		var in consoleInput
		select {
		case <-ctx.Done():
			fmt.Fprintln(env.Out)
			return nil
		case in = <-lines:
		}
		if in.err != nil {
			fmt.Fprintln(env.Out)
			if errors.Is(in.err, io.EOF) {
				return nil
			}
			return fmt.Errorf("read a command: %w", in.err)
		}
		quit := consoleLine(ctx, env, db, sum, in)
		if quit || ctx.Err() != nil {
			return nil
		}
	}
}

// consoleInput is one line of input, or the error that ended the input.
type consoleInput struct {
	line    string
	tooLong bool // longer than maxConsoleLine; line is empty
	err     error
}

// readLines sends in's lines to lines until a read fails (io.EOF at the
// end) or done is closed.
func readLines(in io.Reader, lines chan<- consoleInput, done <-chan struct{}) {
	br := bufio.NewReader(in)
	for {
		ci := readLine(br)
		select {
		case lines <- ci:
		case <-done:
			return
		}
		if ci.err != nil {
			return
		}
	}
}

// readLine reads one line, without its line ending. A line over
// maxConsoleLine characters is read to its end and reported as too long.
// A last line without a line ending counts; io.EOF comes after it.
func readLine(br *bufio.Reader) consoleInput {
	const maxBytes = maxConsoleLine * utf8.UTFMax
	var (
		buf     []byte
		tooLong bool
		read    bool
	)
	for {
		chunk, err := br.ReadSlice('\n')
		read = read || len(chunk) > 0
		if !tooLong {
			buf = append(buf, chunk...)
			if len(buf) > maxBytes+2 { // room for "\r\n"
				buf, tooLong = nil, true
			}
		}
		switch {
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case err != nil && !(errors.Is(err, io.EOF) && read):
			return consoleInput{err: err}
		}
		line := strings.TrimRight(string(buf), "\r\n")
		if tooLong || utf8.RuneCountInString(line) > maxConsoleLine {
			return consoleInput{tooLong: true}
		}
		return consoleInput{line: line}
	}
}

// consoleLine answers one line of input and reports whether it was /quit.
// Whatever goes wrong gets a line on env.Err, and the loop goes on.
func consoleLine(ctx context.Context, env *Env, db storyStore, sum *summarizer, in consoleInput) (quit bool) {
	say := func(format string, args ...any) { fmt.Fprintf(env.Err, format+"\n", args...) }
	if in.tooLong {
		say("that line is too long (the limit is %d characters)", maxConsoleLine)
		return false
	}
	c, err := parseConsoleLine(in.line)
	if err != nil {
		say("%v", err)
		return false
	}
	switch c.name {
	case "quit":
		return true
	case "help":
		fmt.Fprint(env.Out, consoleHelp)
		return false
	case "story":
		err = story(ctx, env, db, sum, c.query, c.style, false, false)
	case "ask":
		err = ask(ctx, env, db, sum, c.question, c.storyQuery, false)
	}
	switch {
	case err == nil:
		fmt.Fprintln(env.Out) // a blank line before the next prompt
	case ctx.Err() == nil:
		say("%v", err)
	}
	return false
}

// consoleCommand is a parsed line of console input.
type consoleCommand struct {
	name       string // story, ask, help or quit
	query      string // /story's QUERY
	style      summarize.Style
	question   string // /ask's QUESTION
	storyQuery string // /ask's story:QUERY
}

// storyOption finds "story:" at the start of a word.
var storyOption = regexp.MustCompile(`(?i)(^|\s)story:`)

// parseConsoleLine parses a line of console input; its errors are one-line
// messages fit to show.
func parseConsoleLine(line string) (consoleCommand, error) {
	line = strings.TrimSpace(clean(line))
	if line == "" {
		return consoleCommand{}, errors.New("type a command, or /help for the list")
	}
	name, rest, _ := strings.Cut(line, " ")
	rest = strings.TrimSpace(rest)
	c := consoleCommand{name: strings.ToLower(strings.TrimPrefix(name, "/"))}
	if !strings.HasPrefix(name, "/") {
		return c, errors.New("commands start with /: try /story, /ask, /help or /quit")
	}
	switch c.name {
	case "help", "quit":
		return c, nil
	case "story":
		c.style = summarize.Standard
		var words []string
		styled := false
		for _, w := range strings.Fields(rest) {
			v, ok := cutPrefixFold(w, "style:")
			if !ok {
				words = append(words, w)
				continue
			}
			if styled {
				return c, errors.New("give style: once")
			}
			s, err := summarize.ParseStyle(v)
			if err != nil {
				return c, fmt.Errorf("style:%s is not a style; want style:brief, style:standard or style:detailed", v)
			}
			c.style, styled = s, true
		}
		c.query = strings.Join(words, " ")
		return c, nil
	case "ask":
		c.question = rest
		if loc := storyOption.FindStringIndex(rest); loc != nil {
			c.question, c.storyQuery = strings.TrimSpace(rest[:loc[0]]), strings.TrimSpace(rest[loc[1]:])
			if c.storyQuery == "" {
				return c, errors.New("story: needs a query, for example: /ask Who won? story:robotics")
			}
		}
		if c.question == "" {
			return c, errors.New("/ask needs a question, for example: /ask How many homes lost power?")
		}
		if err := checkQuestion(c.question); err != nil {
			return c, err
		}
		return c, nil
	}
	return c, fmt.Errorf("unknown command %s: try /story, /ask, /help or /quit", name)
}

// cutPrefixFold is strings.CutPrefix ignoring case.
func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) < len(prefix) || !strings.EqualFold(s[:len(prefix)], prefix) {
		return s, false
	}
	return s[len(prefix):], true
}
