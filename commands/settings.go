package commands

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/storybot/storybot/store"
	"github.com/storybot/storybot/summarize"
)

// SettingsStore keeps per-server settings and model usage. *sqlite.DB and
// *postgres.DB satisfy it.
type SettingsStore interface {
	GuildSettings(ctx context.Context, guildID string) (store.Settings, error)
	// UpdateGuildSettings changes a server's settings with apply in one
	// transaction (changes made at the same time are all kept) and
	// returns them; an error from apply stores nothing and is returned.
	UpdateGuildSettings(ctx context.Context, guildID string, apply func(*store.Settings) error) (store.Settings, error)
	GuildUsage(ctx context.Context, guildID, from, to string) ([]store.Usage, error)
	TopUsers(ctx context.Context, guildID, day string, limit int) ([]store.UserUsage, error)
}

// Setting names: the options of /storybot settings set and the NAME=VALUE
// arguments of "storybot settings set".
const (
	SettingStyle        = "style"
	SettingChannels     = "channels"
	SettingModelRoles   = "model_roles"
	SettingServerCalls  = "server_calls"
	SettingServerTokens = "server_tokens"
	SettingUserCalls    = "user_calls"
	SettingUserTokens   = "user_tokens"
	SettingFeedChannel  = "feed_channel"
)

// SettingNames are the settings, in the order they are shown.
var SettingNames = []string{SettingStyle, SettingChannels, SettingModelRoles,
	SettingServerCalls, SettingServerTokens, SettingUserCalls, SettingUserTokens, SettingFeedChannel}

// maxIDs bounds a list setting (channels, roles).
const maxIDs = 25

// maxBudget bounds a budget: far above any real one, far below overflow.
const maxBudget = 1_000_000_000_000

// SettingError says why a setting's value was refused; its message is fit
// to show (it quotes what was typed, cut short).
type SettingError struct {
	Name, Value string
	Want        string // what the value should be
}

func (e *SettingError) Error() string {
	if e.Name == "" {
		return e.Want
	}
	v := e.Value
	if r := []rune(v); len(r) > 40 {
		v = string(r[:40]) + "…"
	}
	return fmt.Sprintf("%s: %q %s", e.Name, v, e.Want)
}

// Change is one setting to change: its name and the value as typed.
type Change struct{ Name, Value string }

// ParseGuildID checks a server ID typed by an operator.
func ParseGuildID(id string) (string, error) {
	id = strings.TrimSpace(id)
	if !store.IsSnowflake(id) {
		return "", &SettingError{Want: fmt.Sprintf("%q is not a server ID: give the 17 to 20 digits Discord shows (right-click the server icon, Copy Server ID; Developer Mode must be on)", id)}
	}
	return id, nil
}

// ApplySetting sets the setting name of s to value, as typed, once it is
// checked; an invalid value is a *SettingError and leaves s as it was.
//
// Values: style is brief, standard or detailed; channels are channel IDs
// or #mentions separated by spaces or commas, or "all"; model_roles are
// role IDs or @mentions, or "everyone"; the budgets are whole numbers of 0
// or more (0 allows no model call), or "none" for no limit; feed_channel
// is a channel ID or #mention, or "none".
func ApplySetting(s *store.Settings, name, value string) error {
	value = strings.TrimSpace(value)
	b := &s.Budget
	switch name {
	case SettingStyle:
		st, err := summarize.ParseStyle(value)
		if err != nil {
			return &SettingError{name, value, "is not a style: use brief, standard or detailed"}
		}
		s.Style = st.String()
	case SettingChannels:
		ids, err := parseIDs(name, value, "all", "<#", "a channel ID or #channel")
		if err != nil {
			return err
		}
		s.Channels = ids
	case SettingModelRoles:
		ids, err := parseIDs(name, value, "everyone", "<@&", "a role ID or @role")
		if err != nil {
			return err
		}
		s.ModelRoles = ids
	case SettingServerCalls, SettingServerTokens, SettingUserCalls, SettingUserTokens:
		l, err := ParseLimit(name, value)
		if err != nil {
			return err
		}
		switch name {
		case SettingServerCalls:
			b.ServerCalls = l
		case SettingServerTokens:
			b.ServerTokens = l
		case SettingUserCalls:
			b.UserCalls = l
		default:
			b.UserTokens = l
		}
	case SettingFeedChannel:
		ids, err := parseIDs(name, value, "none", "<#", "a channel ID or #channel")
		if err != nil {
			return err
		}
		if len(ids) > 1 {
			return &SettingError{name, value, "is more than one channel: give one, or none"}
		}
		s.FeedChannel = ""
		if len(ids) == 1 {
			s.FeedChannel = ids[0]
		}
	default:
		return &SettingError{Want: fmt.Sprintf("%q is not a setting; the settings are %s", name, strings.Join(SettingNames, ", "))}
	}
	return nil
}

// parseIDs reads a list of IDs or mentions (opening with mention, closing
// with ">"); none, any case, is the empty list.
func parseIDs(name, value, none, mention, what string) ([]string, error) {
	if strings.EqualFold(strings.TrimPrefix(value, "@"), none) { // "@everyone" too
		return nil, nil
	}
	fields := strings.FieldsFunc(value, func(r rune) bool { return r == ',' || unicode.IsSpace(r) })
	if len(fields) == 0 {
		return nil, &SettingError{name, value, fmt.Sprintf("is empty: give %s (IDs are 17 to 20 digits: right-click it, Copy ID), or %s", what, none)}
	}
	if len(fields) > maxIDs {
		return nil, &SettingError{name, value, fmt.Sprintf("lists %d; at most %d are kept", len(fields), maxIDs)}
	}
	var ids []string
	for _, f := range fields {
		id := strings.TrimSuffix(strings.TrimPrefix(f, mention), ">")
		if !store.IsSnowflake(id) {
			return nil, &SettingError{name, f, fmt.Sprintf("is not %s: give IDs (17 to 20 digits: right-click it, Copy ID) separated by spaces or commas, or %s", what, none)}
		}
		if !contains(ids, id) {
			ids = append(ids, id)
		}
	}
	return ids, nil
}

// ParseLimit reads a daily budget as typed: a whole number of 0 or more
// (0 allows no model call), or "none" for no limit. A bad value is a
// *SettingError naming name.
func ParseLimit(name, value string) (store.Limit, error) {
	if strings.EqualFold(value, "none") {
		return store.Limit{}, nil
	}
	n, err := strconv.ParseInt(strings.ReplaceAll(value, "_", ""), 10, 64)
	if err != nil || n < 0 || n > maxBudget {
		return store.Limit{}, &SettingError{name, value, "is not a whole number of 0 or more: give one (0 allows no model call), or none for no limit"}
	}
	return store.Cap(n), nil
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// SetSettings applies changes, in order, to the settings of server guildID
// and stores them, with by (a user ID, or "terminal") as who changed them.
// Only the settings named change: two admins changing different settings
// at the same time both keep theirs (the store applies them in a
// transaction). When any change is invalid nothing is stored and the error
// is its *SettingError.
func SetSettings(ctx context.Context, st SettingsStore, guildID, by string, changes []Change, now time.Time) (store.Settings, error) {
	if len(changes) == 0 {
		return store.Settings{}, &SettingError{Want: "nothing to change: give at least one setting (" + strings.Join(SettingNames, ", ") + ")"}
	}
	var check store.Settings // each value is checked before the store is touched
	for _, c := range changes {
		if err := ApplySetting(&check, c.Name, c.Value); err != nil {
			return store.Settings{}, err
		}
	}
	return st.UpdateGuildSettings(ctx, guildID, func(s *store.Settings) error {
		for _, c := range changes {
			if err := ApplySetting(s, c.Name, c.Value); err != nil {
				return err
			}
		}
		s.Updated, s.UpdatedBy = now, by
		return nil
	})
}

// Refs writes IDs in a reply: as mentions on Discord (which ping no one,
// allowed_mentions being empty), as plain IDs in a terminal.
type Refs struct {
	Channel, Role, User func(id string) string
}

// DiscordRefs writes IDs as Discord mentions.
var DiscordRefs = Refs{
	Channel: func(id string) string { return "<#" + id + ">" },
	Role:    func(id string) string { return "<@&" + id + ">" },
	User:    func(id string) string { return "<@" + id + ">" },
}

// PlainRefs writes IDs as they are.
var PlainRefs = Refs{
	Channel: func(id string) string { return id },
	Role:    func(id string) string { return id },
	User:    func(id string) string { return id },
}

// DescribeSettings lists s, one setting a line, its name first.
func DescribeSettings(s store.Settings, r Refs) string {
	var b strings.Builder
	style := s.Style
	if style == "" {
		style = summarize.Standard.String() + " (the default)"
	}
	list := func(ids []string, ref func(string) string, none string) string {
		if len(ids) == 0 {
			return none
		}
		out := make([]string, len(ids))
		for i, id := range ids {
			out[i] = ref(id)
		}
		return strings.Join(out, ", ")
	}
	feed := "none"
	if s.FeedChannel != "" {
		feed = r.Channel(s.FeedChannel)
	}
	fmt.Fprintf(&b, "style: %s\n", style)
	fmt.Fprintf(&b, "channels: %s\n", list(s.Channels, r.Channel, "all (storybot answers in every channel)"))
	fmt.Fprintf(&b, "model_roles: %s\n", list(s.ModelRoles, r.Role, "everyone (every member gets the model's replies)"))
	bu := s.Budget
	fmt.Fprintf(&b, "server_calls: %s, server_tokens: %s (the whole server, each day)\n", limitText(bu.ServerCalls), limitText(bu.ServerTokens))
	fmt.Fprintf(&b, "user_calls: %s, user_tokens: %s (each member, each day)\n", limitText(bu.UserCalls), limitText(bu.UserTokens))
	fmt.Fprintf(&b, "feed_channel: %s\n", feed)
	return b.String()
}

// UsageDays is how many days a usage report covers, today included.
const UsageDays = 7

// UsageReport is a server's model use: today's, the last UsageDays days',
// and who used most today.
type UsageReport struct {
	GuildID string
	Today   store.Usage
	Days    []store.Usage     // UsageDays days, today first, days without use included
	Top     []store.UserUsage // today's biggest users, most first (at most 5)
	Budget  store.Budget
	Resets  time.Time // when today's budgets start again: the next midnight UTC
}

// Usage reports the model use of server guildID, with now as the time.
func Usage(ctx context.Context, st SettingsStore, guildID string, now time.Time) (UsageReport, error) {
	s, err := st.GuildSettings(ctx, guildID)
	if err != nil {
		return UsageReport{}, err
	}
	today := store.Day(now)
	from := store.Day(now.UTC().AddDate(0, 0, -(UsageDays - 1)))
	used, err := st.GuildUsage(ctx, guildID, from, today)
	if err != nil {
		return UsageReport{}, err
	}
	top, err := st.TopUsers(ctx, guildID, today, 5)
	if err != nil {
		return UsageReport{}, err
	}
	byDay := map[string]store.Usage{}
	for _, u := range used {
		byDay[u.Day] = u
	}
	r := UsageReport{GuildID: guildID, Top: top, Budget: s.Budget, Resets: store.NextDay(now)}
	for i := range UsageDays {
		d := store.Day(now.UTC().AddDate(0, 0, -i))
		u := byDay[d]
		u.Day = d
		r.Days = append(r.Days, u)
	}
	r.Today = r.Days[0]
	return r, nil
}

// Describe writes the report, one fact a line.
func (r UsageReport) Describe(refs Refs) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Today (%s, UTC): %s.\n", r.Today.Day, calls(r.Today))
	bu := r.Budget
	fmt.Fprintf(&b, "Daily budget: server %s, each member %s.\n", budget(bu.ServerCalls, bu.ServerTokens), budget(bu.UserCalls, bu.UserTokens))
	if len(r.Top) > 0 {
		parts := make([]string, len(r.Top))
		for i, u := range r.Top {
			parts[i] = refs.User(u.UserID) + ": " + calls(u.Usage)
		}
		fmt.Fprintf(&b, "Most today: %s.\n", strings.Join(parts, "; "))
	}
	fmt.Fprintf(&b, "Last %d days:\n", UsageDays)
	for _, d := range r.Days {
		fmt.Fprintf(&b, "  %s  %s\n", d.Day, calls(d))
	}
	return b.String()
}

func calls(u store.Usage) string {
	return count(u.Calls, "model call") + ", " + count(u.Tokens, "token")
}

// count writes n things: "1 token", "12,345 tokens".
func count(n int64, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return thousands(n) + " " + thing + "s"
}

// limitText is a limit as DescribeSettings shows it.
func limitText(l store.Limit) string {
	if !l.Set {
		return "no limit"
	}
	return thousands(l.N)
}

func budget(c, t store.Limit) string {
	switch {
	case !c.Set && !t.Set:
		return "no limit"
	case !t.Set:
		return count(c.N, "call")
	case !c.Set:
		return count(t.N, "token")
	}
	return count(c.N, "call") + " and " + count(t.N, "token")
}

// thousands writes n with commas between thousands: 12,345.
func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	if neg {
		s = "-" + s
	}
	return s
}
