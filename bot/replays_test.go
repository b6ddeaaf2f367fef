package bot

import (
	"testing"
	"time"
)

func TestReplaysForget(t *testing.T) {
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	r := newReplays(time.Minute, func() time.Time { return now })
	if !r.first("1001") || r.first("1001") {
		t.Fatal("want an ID new once, then seen")
	}
	now = now.Add(90 * time.Second) // one generation later: still remembered
	if r.first("1001") {
		t.Error("an ID was forgotten within the window")
	}
	now = now.Add(3 * time.Minute) // two generations later: forgotten
	if !r.first("1001") {
		t.Error("an ID was remembered for ever")
	}
}
