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
	for _, want := range []string{"6 sample stories", "(6 new)", "Hollinsford council approves 240 riverside homes",
		"— Summarized by mock\n", "— Summarized by mock (cached)\n", "LLM_MODEL=mock-error-500", "— Offline summary (extractive): the model server failed\n",
		"78mph to the area. [1]\n\nSources:\n[1] Storm Imogen", "— Answered by mock from the stored stories\n",
		"The stored stories don't say.\n\n— No stored story speaks to this question\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(errs, "reason=server-error") {
		t.Errorf("stderr lacks the fallback's log line:\n%s", errs)
	}
	// A second run finds the stories already stored, and asks the model
	// afresh before showing the cache.
	if code, out2, _ := cli(t, "", "demo", "--db", db); code != 0 || !strings.Contains(out2, "(0 new)") || strings.Count(out2, "Summarized by mock") != 2 {
		t.Errorf("second run: exit %d\n%s", code, out2)
	}
}
