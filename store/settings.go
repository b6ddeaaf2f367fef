package store

import (
	"strconv"
	"time"
)

// Settings are one Discord server's (guild's) settings for storybot. The
// zero value, with GuildID set, is what a server that never changed them
// gets: the standard style, every channel, the model for everyone, no
// budgets and no feed channel.
type Settings struct {
	GuildID string
	// Style is the default summary style of /story: "brief", "standard"
	// or "detailed"; empty means standard.
	Style string
	// Channels are where storybot answers; empty means every channel.
	Channels []string
	// ModelRoles are the roles whose members get replies written by the
	// model; the others get the extractive ones. Empty means everyone.
	ModelRoles []string
	// Budget caps the model's use each day (UTC).
	Budget Budget
	// FeedChannel is the channel for new-story posts from feeds; empty
	// means none. (storybot run posts to FEED_CHANNELS today; this is kept
	// for the server, see FeedChannels in the stores.)
	FeedChannel string
	// Updated is when the settings last changed, UpdatedBy who changed them
	// (a user ID, or "terminal"); zero for settings never changed.
	Updated   time.Time
	UpdatedBy string
}

// Budget is a server's daily model budget: calls and tokens (prompt and
// completion) for the whole server and for each of its users. A zero
// Limit is no limit.
type Budget struct {
	ServerCalls, ServerTokens Limit
	UserCalls, UserTokens     Limit
}

// Limit is a daily cap. The zero Limit is no limit; Cap(0) allows nothing.
type Limit struct {
	N   int64
	Set bool
}

// Cap returns a Limit of n.
func Cap(n int64) Limit { return Limit{N: n, Set: true} }

// Reached reports whether used has reached the limit.
func (l Limit) Reached(used int64) bool { return l.Set && used >= l.N }

// Whose budget is used up, as Budget.Spent reports it.
const (
	ServerBudget = "server" // the whole server's
	UserBudget   = "user"   // the user's own
)

// Any reports whether b limits anything.
func (b Budget) Any() bool {
	return b.ServerCalls.Set || b.ServerTokens.Set || b.UserCalls.Set || b.UserTokens.Set
}

// Spent returns which of b's budgets a day's use has reached, the server's
// before the user's: ServerBudget when server (the whole server's use)
// has reached a server budget, else UserBudget when user (the user's use)
// has reached a user budget, else "".
func (b Budget) Spent(server, user Usage) string {
	switch {
	case b.ServerCalls.Reached(server.Calls), b.ServerTokens.Reached(server.Tokens):
		return ServerBudget
	case b.UserCalls.Reached(user.Calls), b.UserTokens.Reached(user.Tokens):
		return UserBudget
	}
	return ""
}

// String is the limit's number, or "none".
func (l Limit) String() string {
	if !l.Set {
		return "none"
	}
	return strconv.FormatInt(l.N, 10)
}

// Usage is the model's use on one day (UTC): calls that got an answer and
// the tokens they cost. A call is counted from when it is reserved, before
// the model is asked (ReserveCall in the stores), and given back when no
// answer came, so calls in flight count too.
type Usage struct {
	Day    string `json:"day"` // YYYY-MM-DD, UTC (see Day)
	Calls  int64  `json:"calls"`
	Tokens int64  `json:"tokens"`
}

// UserUsage is one user's Usage.
type UserUsage struct {
	UserID string `json:"user_id"`
	Usage
}

// Day is the UTC day t falls on, as usage is counted: YYYY-MM-DD.
func Day(t time.Time) string { return t.UTC().Format(time.DateOnly) }

// NextDay is when the UTC day of t ends: the next midnight UTC, when the
// daily budgets start again.
func NextDay(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d+1, 0, 0, 0, 0, time.UTC)
}

// IsSnowflake reports whether s looks like a Discord ID: 17 to 20 digits.
func IsSnowflake(s string) bool {
	if len(s) < 17 || len(s) > 20 {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	_, err := strconv.ParseUint(s, 10, 64)
	return err == nil
}
