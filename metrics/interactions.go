package metrics

import "time"

// InteractionObserver is what the Discord bot reports to, once per
// interaction it handles. *Metrics satisfies it.
//
// command is "story", "ask", "autocomplete" or "unknown". outcome is one of
// the Outcome… constants. took runs from the moment the interaction reached
// the bot to the moment its last response was sent (the edit with the
// reply, or the ephemeral message), so it is the latency the user sees.
type InteractionObserver interface {
	ObserveInteraction(command, outcome string, took time.Duration)
}

// Interaction outcomes: the value of the outcome label.
const (
	OutcomeOK          = "ok"           // the reply was sent
	OutcomeNotFound    = "not-found"    // no story matched, or none is stored (commands.IsNotFound)
	OutcomeBadInput    = "bad-input"    // the question was empty or too long (commands.ErrQuestion)
	OutcomeRateLimited = "rate-limited" // the user's token bucket was empty
	OutcomeTimeout     = "timeout"      // the reply ran out of time (context deadline or cancellation)
	OutcomeRestarting  = "restarting"   // turned away during shutdown
	OutcomeUnknown     = "unknown"      // a command storybot does not know
	OutcomeDiscord     = "discord"      // a REST call to Discord failed (defer, edit or follow-up)
	OutcomeError       = "error"        // anything else
)

var _ InteractionObserver = (*Metrics)(nil)

// ObserveInteraction counts one interaction (storybot_interactions_total)
// and, when it is not autocomplete, its reply latency
// (storybot_reply_duration_seconds).
func (m *Metrics) ObserveInteraction(command, outcome string, took time.Duration) {
	m.interactions.WithLabelValues(command, outcome).Inc()
	if command != "autocomplete" {
		m.replyTime.WithLabelValues(command).Observe(took.Seconds())
	}
}
