// Package console is storybot's terminal transport. Run is the interactive
// console: it reads commands from a terminal, one a line (/story, /ask,
// /help, /quit), answers each through a commands.Handler, the
// commands.Router with the same /story and /ask handlers the Discord bot
// answers through, and prints the replies as text fit for a terminal. The
// printing functions (PrintStory, PrintAnswer, …) are also what the one-shot
// terminal commands ("storybot story", "ask", "demo") print with, so a
// reply looks the same whichever way it was asked for. Everything printed
// from a story or a model goes through discordtext.Terminal.
//
// On the terminal the operator is the admin. Its requests come from the
// user "console" (User), with Admin set and no server (Guild empty), and the
// router built for the terminal has no access lists, no rate limit and no
// server policy (no channels, model roles or budgets): only the handlers.
package console

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/storybot/storybot/commands"
	"github.com/storybot/storybot/summarize"
)

// User is the user the console's requests come from.
const User = "console"

// MaxLine is the longest line the console takes, in characters.
const MaxLine = 1000

// greeting is the console's first line, and prompt what it prints before
// reading each line.
const (
	greeting = "storybot console: type /help for the commands, /quit or Ctrl-D to leave."
	prompt   = "storybot> "
)

// help is what /help prints.
const help = `Commands:
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

// Run reads commands from in, one a line, answers each through h (the
// terminal's commands.Router) and prints the replies to out, until /quit,
// the end of in or the end of ctx; it returns an error only when reading
// in fails. What goes wrong with a line (a typing mistake, a line over
// MaxLine characters, no story matching, a refusal) gets a line on errw,
// and the loop goes on.
func Run(ctx context.Context, h commands.Handler, in io.Reader, out, errw io.Writer) error {
	fmt.Fprintln(out, greeting)
	lines := make(chan input)
	done := make(chan struct{})
	defer close(done)
	// The reader ends at the end of the input, or once the loop has
	// returned and it has read one more line; until then a read blocked on
	// a terminal outlives the loop, which only matters to a process that
	// goes on after the console (storybot does not).
	go readLines(in, lines, done)
	for {
		fmt.Fprint(out, prompt)
		var in input
		select {
		case <-ctx.Done():
			fmt.Fprintln(out)
			return nil
		case in = <-lines:
		}
		if in.err != nil {
			fmt.Fprintln(out)
			if errors.Is(in.err, io.EOF) {
				return nil
			}
			return fmt.Errorf("read a command: %w", in.err)
		}
		quit := serveLine(ctx, h, out, errw, in)
		if quit || ctx.Err() != nil {
			return nil
		}
	}
}

// input is one line of input, or the error that ended the input.
type input struct {
	line    string
	tooLong bool // longer than MaxLine; line is empty
	err     error
}

// readLines sends in's lines to lines until a read fails (io.EOF at the
// end) or done is closed.
func readLines(in io.Reader, lines chan<- input, done <-chan struct{}) {
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

// readLine reads one line, without its line ending. A line over MaxLine
// characters is read to its end and reported as too long. A last line
// without a line ending counts; io.EOF comes after it.
func readLine(br *bufio.Reader) input {
	const maxBytes = MaxLine * utf8.UTFMax
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
			return input{err: err}
		}
		line := strings.TrimRight(string(buf), "\r\n")
		if tooLong || utf8.RuneCountInString(line) > MaxLine {
			return input{tooLong: true}
		}
		return input{line: line}
	}
}

// serveLine answers one line of input and reports whether it was /quit.
func serveLine(ctx context.Context, h commands.Handler, out, errw io.Writer, in input) (quit bool) {
	say := func(format string, args ...any) { fmt.Fprintf(errw, format+"\n", args...) }
	if in.tooLong {
		say("that line is too long (the limit is %d characters)", MaxLine)
		return false
	}
	r, err := parseLine(in.line)
	if err != nil {
		say("%v", err)
		return false
	}
	switch r.Command {
	case "quit":
		return true
	case "help":
		fmt.Fprint(out, help)
		return false
	}
	r.User, r.Admin = User, true
	rep, err := h.Serve(ctx, &r)
	switch {
	case err != nil && rep.Message == "":
		if ctx.Err() == nil {
			query := r.Option("query")
			if r.Command == "ask" {
				query = r.Option("story")
			}
			say("%v", Explain(err, query))
		}
	case refused(rep):
		printReply(out, errw, rep)
	default:
		printReply(out, errw, rep)
		fmt.Fprintln(out) // a blank line before the next prompt
	}
	return false
}

// storyOption finds "story:" at the start of a word.
var storyOption = regexp.MustCompile(`(?i)(^|\s)story:`)

// parseLine parses a line of console input into a request: the command
// ("story", "ask", "help" or "quit") and its options, as Discord's
// commands name them (query and style; question and story), only those
// given. Its errors are one-line messages fit to show.
func parseLine(line string) (commands.Request, error) {
	line = strings.TrimSpace(clean(line))
	if line == "" {
		return commands.Request{}, errors.New("type a command, or /help for the list")
	}
	name, rest, _ := strings.Cut(line, " ")
	rest = strings.TrimSpace(rest)
	r := commands.Request{Command: strings.ToLower(strings.TrimPrefix(name, "/"))}
	if !strings.HasPrefix(name, "/") {
		return r, errors.New("commands start with /: try /story, /ask, /help or /quit")
	}
	switch r.Command {
	case "help", "quit":
		return r, nil
	case "story":
		r.Options = map[string]string{}
		var words []string
		for _, w := range strings.Fields(rest) {
			v, ok := cutPrefixFold(w, "style:")
			if !ok {
				words = append(words, w)
				continue
			}
			if _, styled := r.Options["style"]; styled {
				return r, errors.New("give style: once")
			}
			s, err := summarize.ParseStyle(v)
			if err != nil {
				return r, fmt.Errorf("style:%s is not a style; want style:brief, style:standard or style:detailed", v)
			}
			r.Options["style"] = s.String()
		}
		if len(words) > 0 {
			r.Options["query"] = strings.Join(words, " ")
		}
		return r, nil
	case "ask":
		question, story := rest, ""
		if loc := storyOption.FindStringIndex(rest); loc != nil {
			question, story = strings.TrimSpace(rest[:loc[0]]), strings.TrimSpace(rest[loc[1]:])
			if story == "" {
				return r, errors.New("story: needs a query, for example: /ask Who won? story:robotics")
			}
		}
		if question == "" {
			return r, errors.New("/ask needs a question, for example: /ask How many homes lost power?")
		}
		if err := CheckQuestion(question); err != nil {
			return r, err
		}
		r.Options = map[string]string{"question": question}
		if story != "" {
			r.Options["story"] = story
		}
		return r, nil
	}
	return r, fmt.Errorf("unknown command %s: try /story, /ask, /help or /quit", name)
}

// cutPrefixFold is strings.CutPrefix ignoring case.
func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) < len(prefix) || !strings.EqualFold(s[:len(prefix)], prefix) {
		return s, false
	}
	return s[len(prefix):], true
}
