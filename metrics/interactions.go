package metrics

import "time"

// ObserveInteraction counts one interaction (storybot_interactions_total)
// and, when it is not autocomplete, its reply latency
// (storybot_reply_duration_seconds). It makes *Metrics a bot.Observer: the
// command and outcome labels are the bot's (bot.Outcome…).
func (m *Metrics) ObserveInteraction(command, outcome string, took time.Duration) {
	m.interactions.WithLabelValues(command, outcome).Inc()
	if command != "autocomplete" {
		m.replyTime.WithLabelValues(command).Observe(took.Seconds())
	}
}
