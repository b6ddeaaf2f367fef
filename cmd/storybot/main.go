// Command storybot serves summaries of stored news stories on Discord and in a
// terminal. Run "storybot --help" for the list of subcommands.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"

	"github.com/joho/godotenv"
)

func main() {
	// Settings from .env fill in what the real environment does not set.
	if err := godotenv.Load(); err != nil && !errors.Is(err, fs.ErrNotExist) {
		fmt.Fprintf(os.Stderr, "storybot: read .env: %v\n", err)
		os.Exit(exitUsage)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// HTTP_ADDR set but empty turns the HTTP server off; unset means the default.
	getenv := emptyMeans(os.LookupEnv, "HTTP_ADDR", httpOff)
	code := Run(ctx, os.Args[1:], &IO{In: os.Stdin, Out: os.Stdout, Err: os.Stderr}, getenv)
	stop()
	os.Exit(code)
}

// IO holds the streams a subcommand reads and writes, so tests can capture them.
type IO struct {
	In  io.Reader
	Out io.Writer
	Err io.Writer
}

// Exit statuses.
const (
	exitOK      = 0
	exitFailure = 1 // the command ran and something failed
	exitUsage   = 2 // bad flags, arguments or configuration
)

// errUsage marks an error as the caller's mistake (exit status 2).
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error {
	return usageError{fmt.Errorf(format, args...)}
}

// errSilent reports failure through the exit status only: the command has
// already told the user what went wrong.
var errSilent = errors.New("failed")

// command is one storybot subcommand.
type command struct {
	name    string
	summary string // one line for "storybot --help"
	// run parses args itself (with newFlagSet) and does the work.
	run func(ctx context.Context, env *Env, args []string) error
	// noConfig: the command reads no settings, so bad ones do not stop it.
	noConfig bool
}

// commands lists every subcommand; each file registers its own in init.
var commands = map[string]command{}

func register(c command) { commands[c.name] = c }

// Env is what every subcommand gets: its streams and its configuration.
type Env struct {
	IO
	cfg *Config // every setting, read once (see settings)
}

// Run runs storybot with args (without the program name) and returns the exit status.
func Run(ctx context.Context, args []string, stdio *IO, getenv func(string) string) int {
	env := &Env{IO: *stdio, cfg: &Config{}}
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		if len(args) > 1 && args[0] == "help" {
			return Run(ctx, []string{args[1], "--help"}, stdio, getenv)
		}
		printUsage(env.Out)
		return exitOK
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(env.Err, "storybot: unknown command %q\nRun 'storybot --help' for the list of commands.\n", args[0])
		return exitUsage
	}
	var err error
	if !c.noConfig {
		env.cfg, err = loadConfig(getenv)
	}
	if err == nil {
		err = c.run(ctx, env, args[1:])
	}
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.Is(err, errSilent):
		return exitFailure
	}
	fmt.Fprintf(env.Err, "storybot %s: %v\n", c.name, err)
	var ue usageError
	if errors.As(err, &ue) {
		return exitUsage
	}
	return exitFailure
}

func printUsage(w io.Writer) {
	fmt.Fprint(w, `storybot serves summaries of stored news stories on Discord and in a terminal.

Usage:
  storybot COMMAND [flags] [arguments]

Commands:
`)
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, commands[n].summary)
	}
	fmt.Fprint(w, `
Run 'storybot COMMAND --help' for a command's flags.
Settings come from the environment and from a .env file in the working directory
(real environment variables win); 'storybot env-example' lists them.
`)
}

// newFlagSet returns a flag set for a subcommand that prints its usage to env.Err
// and returns errors instead of exiting. usage is the line after "Usage:".
func newFlagSet(env *Env, name, usage, about string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(env.Err)
	fs.Usage = func() {
		fmt.Fprintf(env.Err, "Usage:\n  storybot %s\n\n%s\n", usage, strings.TrimSpace(about))
		var hasFlags bool
		fs.VisitAll(func(*flag.Flag) { hasFlags = true })
		if hasFlags {
			fmt.Fprint(env.Err, "\nFlags:\n")
			fs.PrintDefaults()
		}
	}
	return fs
}

// parseFlags parses args, allowing flags after positional arguments
// ("storybot search brixton --limit 3"), and returns the positional ones.
func parseFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, usageError{err}
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// logger returns a logger writing to standard error at LOG_LEVEL, or at def
// when LOG_LEVEL is unset, in the LOG_FORMAT.
func (env *Env) logger(def slog.Level) *slog.Logger {
	if env.cfg.LogLevel != nil {
		def = *env.cfg.LogLevel
	}
	opts := &slog.HandlerOptions{Level: def}
	if env.cfg.LogJSON {
		return slog.New(slog.NewJSONHandler(env.Err, opts))
	}
	return slog.New(slog.NewTextHandler(env.Err, opts))
}

// newLogger returns the logger of a terminal command: by default only
// warnings and errors (a fallback to the extractive summary is a warning),
// so that the command's own output is not drowned.
func newLogger(env *Env) *slog.Logger { return env.logger(slog.LevelWarn) }
