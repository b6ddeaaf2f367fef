package bot

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/storybot/storybot/discordtext"
)

// draftFooter marks a reply that shows the model's answer while it writes:
// only whole sentences that have passed every check (generate.Job.Draft),
// but the final reply may still be the extractive one.
const draftFooter = "Writing… each sentence is checked before it is shown."

// drafter edits a deferred reply with the model's answer so far: the
// first draft as soon as there is one, then at most one edit an interval,
// until stop. The final edit is the caller's, after stop, so a draft never
// lands after it. The draft goes through the output policy as a /story
// summary does (discordtext.Markdown).
type drafter struct {
	r        Responder
	i        *discordgo.Interaction
	log      *slog.Logger
	interval time.Duration

	mu     sync.Mutex
	text   string // the latest draft
	sent   string // the draft last shown
	closed bool

	wake  chan struct{} // a new draft (capacity 1)
	stopc chan struct{}
	done  chan struct{}
}

// newDrafter returns a drafter that keeps drafts until start, which
// begins showing them once the reply is deferred; stop ends it either way.
func newDrafter(log *slog.Logger, interval time.Duration) *drafter {
	return &drafter{log: log, interval: interval,
		wake: make(chan struct{}, 1), stopc: make(chan struct{}), done: make(chan struct{})}
}

// start shows the drafts as edits of i's deferred response: the latest
// one at once, if there is one. Call it at most once.
func (d *drafter) start(r Responder, i *discordgo.Interaction) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed || d.r != nil {
		return
	}
	d.r, d.i = r, i
	go d.loop()
}

// draft records the checked answer so far (commands.Request.Draft). It returns at
// once and is safe to call from any goroutine, also after stop.
func (d *drafter) draft(text string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return
	}
	d.text = text
	select {
	case d.wake <- struct{}{}:
	default: // the loop is already woken
	}
}

// stop ends the drafts and waits for an edit in progress to finish.
func (d *drafter) stop() {
	d.mu.Lock()
	started := d.r != nil
	d.closed = true
	d.mu.Unlock()
	close(d.stopc)
	if started {
		<-d.done
	}
}

func (d *drafter) loop() {
	defer close(d.done)
	// next is when the next edit may be sent: an interval after the last
	// one ended, however long it took.
	var next time.Time
	for {
		select {
		case <-d.stopc:
			return
		case <-d.wake:
		}
		if wait := time.Until(next); wait > 0 {
			t := time.NewTimer(wait)
			select {
			case <-d.stopc:
				t.Stop()
				return
			case <-t.C:
			}
		}
		select {
		case <-d.stopc:
			return
		default:
		}
		d.mu.Lock()
		text, changed := d.text, d.text != d.sent
		d.sent = d.text
		d.mu.Unlock()
		if !changed {
			continue
		}
		embeds := []*discordgo.MessageEmbed{draftEmbed(text)}
		ctx, cancel := context.WithTimeout(context.Background(), restTimeout)
		if err := d.r.Edit(ctx, d.i, &discordgo.WebhookEdit{Embeds: &embeds, AllowedMentions: noMentions()}); err != nil {
			d.log.Warn("show the draft", "err", err)
		}
		cancel()
		next = time.Now().Add(d.interval)
	}
}

// draftEmbed shows a draft: the model's text so far, through the output
// policy as a /story summary is, and the footer that says it is a draft.
func draftEmbed(text string) *discordgo.MessageEmbed {
	e := &discordgo.MessageEmbed{
		Description: discordtext.MarkdownHead(strings.TrimSpace(text), maxDescription),
		Footer:      &discordgo.MessageEmbedFooter{Text: draftFooter},
	}
	fit(e)
	return e
}
