package main

import "log/slog"

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
