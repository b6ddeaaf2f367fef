package sqlite

import (
	"context"
	"errors"
	"io/fs"
	"path/filepath"
	"testing"
)

func TestBackup(t *testing.T) {
	db, _ := openTest(t)
	ctx := context.Background()
	mustPut(t, db, art("Council approves homes", "The council approved 300 homes.", day))
	to := filepath.Join(t.TempDir(), "backup.db")
	if err := db.Backup(ctx, to); err != nil {
		t.Fatal(err)
	}
	if err := db.Backup(ctx, to); !errors.Is(err, fs.ErrExist) {
		t.Errorf("backup over a file: got %v, want fs.ErrExist", err)
	}
	copied, err := Open(ctx, to)
	if err != nil {
		t.Fatal(err)
	}
	defer copied.Close()
	if n, err := copied.Count(ctx); err != nil || n != 1 {
		t.Errorf("got %d stories (err %v) in the backup, want 1", n, err)
	}
	if err := copied.Check(ctx); err != nil {
		t.Errorf("the backup fails its check: %v", err)
	}
}
