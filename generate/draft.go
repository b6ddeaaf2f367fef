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
// and the one check, and only text that passed is shown. The first
// sentence that fails ends the drafts: what is on screen stays what passed,
// and the final reply decides the rest.
type drafter[T any] struct {
	job     Job[T]
	chk     *check.Checker
	log     *slog.Logger
	text    strings.Builder
	done    int  // sentences checked and shown
	stopped bool // a sentence failed: no more drafts
}

func (d *drafter[T]) delta(s string) {
	d.text.WriteString(s)
	if d.stopped {
		return
	}
	sents := newstext.Split(check.Clean(d.text.String()))
	whole := len(sents) - 1 // the last may still be growing
	if whole <= d.done {
		return
	}
	c, findings := verdict(d.job, strings.Join(sents[:whole], " "), d.chk)
	if c.Fallback != nil || !c.Record.Answered {
		d.stopped = true
		d.log.Debug("drafts stop: a sentence did not pass", "reason", fallbackCode(c.Fallback), "findings", findingList(findings))
		return
	}
	d.done = whole
	d.job.Draft(c.Record.Text)
}

func fallbackCode(fb *Fallback) string {
	if fb == nil {
		return ""
	}
	return fb.Code
}
