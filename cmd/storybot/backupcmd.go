package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/storybot/storybot/store/sqlite"
)

func init() {
	register(command{name: "backup", summary: "copy the store to a new SQLite file, safely while storybot runs", run: runBackup})
}

const backupAbout = `
Writes a consistent copy of the store to FILE (SQLite's VACUUM INTO): one
compact file that storybot can use as it is, for example with --db or
DATABASE_URL. It is safe while "storybot run" is using the store. FILE must
not exist yet; its folder must.`

func runBackup(ctx context.Context, env *Env, args []string) error {
	flags := newFlagSet(env, "backup", "backup FILE [--db FILE]", backupAbout)
	dbFlag := flags.String("db", "", "SQLite database `file` to back up (default $DATABASE_URL, else "+defaultDB+")")
	pos, err := parseFlags(flags, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("backup needs one file to write, for example: storybot backup storybot-backup.db")
	}
	to := pos[0]
	v, name := (&storeFlags{db: *dbFlag}).setting(env)
	if isPostgres(v) {
		return usagef(`backup copies a SQLite store; back up PostgreSQL with its own tools, for example: pg_dump --format=custom --file=storybot.dump "$DATABASE_URL"`)
	}
	from, err := sqlitePath(v, name)
	if err != nil {
		return err
	}
	// Opening a store creates it: do not back up one that was never there.
	if _, err := os.Stat(from); errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("no store to back up at %s (see --db and DATABASE_URL)", from)
	} else if err != nil {
		return fmt.Errorf("back up %s: %w", from, err)
	}
	if _, err := os.Lstat(to); err == nil {
		return usagef("%s already exists; name a new file", to)
	}
	db, err := sqlite.Open(ctx, from)
	if err != nil {
		return err
	}
	defer db.Close()
	n, err := db.Count(ctx)
	if err != nil {
		return err
	}
	if err := db.Backup(ctx, to); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return usagef("%s already exists; name a new file", to)
		}
		return err
	}
	fmt.Fprintf(env.Out, "Backed up %d stories from %s to %s.\n", n, from, to)
	return nil
}
