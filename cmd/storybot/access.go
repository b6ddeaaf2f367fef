package main

import (
	"strings"

	"github.com/storybot/storybot/bot"
	"github.com/storybot/storybot/store"
)

// readAccessLists reads the operator's allow and deny lists (BOT_ALLOW_*,
// BOT_DENY_*): user, role and server IDs separated by spaces or commas;
// and BOT_DM_MODEL, on (the default) or off: whether the model writes
// replies in direct messages.
func readAccessLists(get func(string) string, c *bot.Config) error {
	a := &c.Access
	for _, l := range []struct {
		name, what string
		to         *[]string
	}{
		{"BOT_ALLOW_USERS", "user", &a.AllowUsers},
		{"BOT_DENY_USERS", "user", &a.DenyUsers},
		{"BOT_ALLOW_ROLES", "role", &a.AllowRoles},
		{"BOT_DENY_ROLES", "role", &a.DenyRoles},
		{"BOT_ALLOW_GUILDS", "server", &a.AllowGuilds},
		{"BOT_DENY_GUILDS", "server", &a.DenyGuilds},
	} {
		for _, id := range splitList(get(l.name)) {
			if !store.IsSnowflake(id) {
				return usagef("%s: %q is not a %s ID (17 to 20 digits: with Developer Mode on, right-click the %s and Copy ID)", l.name, id, l.what, l.what)
			}
			*l.to = append(*l.to, id)
		}
	}
	switch v := strings.ToLower(get("BOT_DM_MODEL")); v {
	case "", "on":
	case "off":
		c.NoDMModel = true
	default:
		return usagef("BOT_DM_MODEL: %q is not on or off", v)
	}
	return nil
}
