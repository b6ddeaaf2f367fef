// Package shared finds the project's shared reference folder (../shared beside
// the checkout, or $STORYBOT_SHARED) for tests that read its data. It is never
// needed at run time: a user's clone does not have it.
package shared

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"
)

// Dir returns the shared folder, or skips the test with a clear message when it
// is absent; under CI (CI=true), where it must be there, the test fails.
func Dir(tb testing.TB) string {
	tb.Helper()
	if d, ok := Find(); ok {
		return d
	}
	skip(tb, "the shared reference data is not here (set STORYBOT_SHARED to its folder, or place it at ../shared beside the checkout)")
	return ""
}

// skip skips tb saying why, or fails it under CI. A benchmark's skip is
// shown only with -v, so it is also printed: a benchmark that cannot run
// never passes silently.
func skip(tb testing.TB, why string) {
	tb.Helper()
	if ci, _ := strconv.ParseBool(os.Getenv("CI")); ci {
		tb.Fatal("CI: " + why)
	}
	if _, ok := tb.(*testing.B); ok {
		fmt.Fprintf(os.Stderr, "%s: skipped: %s\n", tb.Name(), why)
	}
	tb.Skip("skipping: " + why)
}

// Path returns a path inside the shared folder, skipping the test when the
// folder or the file is absent.
func Path(tb testing.TB, elem ...string) string {
	tb.Helper()
	p := filepath.Join(append([]string{Dir(tb)}, elem...)...)
	if _, err := os.Stat(p); err != nil {
		skip(tb, fmt.Sprintf("shared file missing: %v", err))
	}
	return p
}

// Find returns the shared folder and whether it exists.
func Find() (string, bool) {
	if d := os.Getenv("STORYBOT_SHARED"); d != "" {
		return d, isDir(d)
	}
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return "", false
	}
	// file is <repo>/internal/shared/shared.go; the folder sits beside <repo>.
	repo := filepath.Dir(filepath.Dir(filepath.Dir(file)))
	d := filepath.Join(filepath.Dir(repo), "shared")
	return d, isDir(d)
}

func isDir(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}
