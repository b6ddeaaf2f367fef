package main

import (
	"strings"
	"testing"
)

func TestRunNeedsToken(t *testing.T) {
	code, out, errs := cli(t, "", "run")
	if code != exitUsage {
		t.Errorf("got exit %d, want %d", code, exitUsage)
	}
	if got := strings.Count(strings.TrimSpace(errs), "\n"); got != 0 || !strings.Contains(errs, "DISCORD_TOKEN") {
		t.Errorf("got stderr %q, want one line naming DISCORD_TOKEN", errs)
	}
	if out != "" {
		t.Errorf("got stdout %q, want none", out)
	}
}

func TestRunConfigNeverShowsToken(t *testing.T) {
	const secret = "very-secret-token"
	vars := map[string]string{"DISCORD_TOKEN": secret, "BOT_USER_EVERY": "soon"}
	code, out, errs := cliEnv(t, vars, "run")
	if code != exitUsage || !strings.Contains(errs, "BOT_USER_EVERY") {
		t.Errorf("got exit %d stderr %q, want %d naming BOT_USER_EVERY", code, errs, exitUsage)
	}
	if strings.Contains(out+errs, secret) {
		t.Errorf("the token was printed: %q", out+errs)
	}
	c, err := readBotConfig(func(k string) string { return vars[k] })
	if err == nil || strings.Contains(c.String(), secret) {
		t.Errorf("got config %s, want the token redacted", c)
	}
}
