package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestBackup(t *testing.T) {
	src := sampleDB(t)
	dir := t.TempDir()
	existing := filepath.Join(dir, "existing.db")
	if err := os.WriteFile(existing, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		vars     map[string]string
		args     []string
		wantCode int
		wantOut  string // in stdout
		wantErr  string // in stderr
	}{
		{"--db", nil, []string{filepath.Join(dir, "a.db"), "--db", src}, exitOK, "Backed up", ""},
		{"DATABASE_URL", map[string]string{"DATABASE_URL": src}, []string{filepath.Join(dir, "b.db")}, exitOK, "Backed up", ""},
		{"exists", nil, []string{existing, "--db", src}, exitUsage, "", "already exists"},
		{"no store", nil, []string{filepath.Join(dir, "c.db"), "--db", filepath.Join(dir, "missing.db")}, exitFailure, "", "no store to back up"},
		{"no file", nil, []string{"--db", src}, exitUsage, "", "needs one file"},
		{"no folder", nil, []string{filepath.Join(dir, "nope", "d.db"), "--db", src}, exitFailure, "", "back up to"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errs := cliEnv(t, tt.vars, append([]string{"backup"}, tt.args...)...)
			if code != tt.wantCode || !strings.Contains(out, tt.wantOut) || !strings.Contains(errs, tt.wantErr) {
				t.Errorf("got exit %d, stdout %q, stderr %q; want exit %d, stdout with %q, stderr with %q", code, out, errs, tt.wantCode, tt.wantOut, tt.wantErr)
			}
		})
	}
	// The copy is a store the other commands read.
	code, out, errs := cliEnv(t, nil, "list", "--db", filepath.Join(dir, "a.db"), "--limit", "1")
	if code != exitOK || !strings.Contains(out, "ID") {
		t.Errorf("list the backup: got exit %d, stdout %q, stderr %q", code, out, errs)
	}
	if _, err := os.Stat(filepath.Join(dir, "missing.db")); err == nil {
		t.Error("backing up a missing store created it")
	}
}
