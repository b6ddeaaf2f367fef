package main

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestDemo(t *testing.T) {
	db := filepath.Join(t.TempDir(), "demo.db")
	code, out, errs := cli(t, "", "demo", "--db", db)
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, errs)
	}
	for _, want := range []string{"6 sample stories", "(6 new)", "Hollinsford council approves 240 riverside homes", "Brief summary (extractive):"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	// A second run finds the stories already stored.
	if code, out, _ := cli(t, "", "demo", "--db", db); code != 0 || !strings.Contains(out, "(0 new)") {
		t.Errorf("second run: exit %d\n%s", code, out)
	}
}
