package generate

import (
	"log/slog"
	"strings"

	"github.com/storybot/storybot/check"
	"github.com/storybot/storybot/newstext"
)

// drafter turns a streaming model's deltas into checked drafts
// (Job.Draft): after each delta, the whole sentences written so far (all
// but the last, which may still be growing) go through the product's check
// and the one check, and only text that passed is shown. Text that passes
// but may not be final yet (an unclosed quotation, words about the task
// rather than the story: check.Checker.Hold) waits for the next delta. The
// first sentence that fails ends the drafts: what is on screen stays what
// passed, and the final reply decides the rest.
type drafter[T any] struct {
	job     Job[T]
	chk     *check.Checker
	log     *slog.Logger
	text    strings.Builder
	shown   string // the prefix last checked and shown
	stopped bool   // a sentence failed: no more drafts
}

func (d *drafter[T]) delta(s string) {
	d.text.WriteString(s)
	if d.stopped {
		return
	}
	sents := newstext.Split(check.Clean(d.text.String()))
	if len(sents) < 2 {
		return // the last sentence may still be growing
	}
	prefix := strings.Join(sents[:len(sents)-1], " ")
	if prefix == d.shown {
		return
	}
	c, findings := verdict(d.job, prefix, d.chk)
	if c.Fallback != nil || !c.Record.Answered {
		d.stopped = true
		d.log.Debug("drafts stop: a sentence did not pass", "reason", fallbackCode(c.Fallback), "findings", findingList(findings))
		return
	}
	if d.chk.Hold(c.Claims) {
		return
	}
	d.shown = prefix
	d.job.Draft(c.Record.Text)
}

func fallbackCode(fb *Fallback) string {
	if fb == nil {
		return ""
	}
	return fb.Code
}
