package main

import (
	"log/slog"
	"strings"
)

// logSettings are LOG_LEVEL and LOG_FORMAT, read once for every command.
type logSettings struct {
	level *slog.Level // nil: the command's own default
	json  bool
}

// readLogSettings reads LOG_LEVEL (debug, info, warn or error) and LOG_FORMAT
// (text, the default, or json).
func readLogSettings(getenv func(string) string) (logSettings, error) {
	var s logSettings
	if v := strings.TrimSpace(getenv("LOG_LEVEL")); v != "" {
		var l slog.Level
		if err := l.UnmarshalText([]byte(v)); err != nil {
			return s, usagef("LOG_LEVEL: %q is not a level; want debug, info, warn or error", v)
		}
		s.level = &l
	}
	switch v := strings.ToLower(strings.TrimSpace(getenv("LOG_FORMAT"))); v {
	case "", "text":
	case "json":
		s.json = true
	default:
		return s, usagef("LOG_FORMAT: %q is not a format; want text or json", v)
	}
	return s, nil
}

// logger returns a logger writing to standard error at LOG_LEVEL, or at def
// when LOG_LEVEL is unset, in the LOG_FORMAT.
func (env *Env) logger(def slog.Level) *slog.Logger {
	if env.log.level != nil {
		def = *env.log.level
	}
	opts := &slog.HandlerOptions{Level: def}
	if env.log.json {
		return slog.New(slog.NewJSONHandler(env.Err, opts))
	}
	return slog.New(slog.NewTextHandler(env.Err, opts))
}

// newLogger returns the logger of a terminal command: by default only
// warnings and errors (a fallback to the extractive summary is a warning),
// so that the command's own output is not drowned.
func newLogger(env *Env) *slog.Logger { return env.logger(slog.LevelWarn) }
