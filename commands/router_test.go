package commands_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/storybot/storybot/commands"
	"github.com/storybot/storybot/generate"
	"github.com/storybot/storybot/store"
)

// echo is a handler that answers with what the middleware decided.
var echo = commands.HandlerFunc(func(_ context.Context, r *commands.Request) (commands.Reply, error) {
	msg := "ok"
	if r.Offline != nil {
		msg = "offline: " + r.Offline.Code
	}
	return commands.Reply{Message: msg}, nil
})

func router(mw ...commands.Middleware) *commands.Router {
	rt := &commands.Router{}
	rt.Use(mw...)
	rt.Handle("story", echo)
	return rt
}

func quiet() *slog.Logger { return slog.New(slog.DiscardHandler) }

func TestRouterUnknownCommand(t *testing.T) {
	rep, err := router().Serve(context.Background(), &commands.Request{Command: "zap"})
	if !errors.Is(err, commands.ErrUnknownCommand) || rep.Outcome != commands.OutcomeUnknown || !rep.Ephemeral || !strings.Contains(rep.Message, "does not know") {
		t.Errorf("got %+v, %v; want an ephemeral 'does not know' and ErrUnknownCommand", rep, err)
	}
}

func TestAccessMiddleware(t *testing.T) {
	rt := router(commands.Access(commands.AccessLists{DenyUsers: []string{"u2"}, AllowRoles: []string{"r1"}}, quiet()))
	for _, tt := range []struct {
		name    string
		req     commands.Request
		outcome string
	}{
		{"allowed by role", commands.Request{Command: "story", User: "u1", Roles: []string{"r1"}}, ""},
		{"denied user", commands.Request{Command: "story", User: "u2", Roles: []string{"r1"}}, commands.OutcomeRefused},
		{"not allowed", commands.Request{Command: "story", User: "u3"}, commands.OutcomeRefused},
		{"autocomplete refused: no choices", commands.Request{Command: "story", User: "u3", Autocomplete: true}, commands.OutcomeRefused},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rep, err := rt.Serve(context.Background(), &tt.req)
			if err != nil || rep.Outcome != tt.outcome {
				t.Errorf("got %+v, %v; want outcome %q", rep, err, tt.outcome)
			}
			if tt.req.Autocomplete && rep.Message != "" {
				t.Errorf("autocomplete got a message %q, want none", rep.Message)
			}
		})
	}
}

func TestRateLimitMiddleware(t *testing.T) {
	now := time.Unix(1700000000, 0)
	rt := router(commands.RateLimit(2, time.Minute, func() time.Time { return now }, quiet()))
	for i, want := range []string{"", "", commands.OutcomeRateLimited} {
		rep, _ := rt.Serve(context.Background(), &commands.Request{Command: "story", User: "u1"})
		if rep.Outcome != want {
			t.Errorf("command %d: got outcome %q, want %q", i+1, rep.Outcome, want)
		}
	}
	if rep, _ := rt.Serve(context.Background(), &commands.Request{Command: "story", User: "u1", Autocomplete: true}); rep.Outcome != "" {
		t.Errorf("autocomplete: got outcome %q, want it not counted against commands", rep.Outcome)
	}
	// Autocomplete has a bucket of its own.
	limited := 0
	for range commands.AutocompleteBurst + 5 {
		if rep, _ := rt.Serve(context.Background(), &commands.Request{Command: "story", User: "u3", Autocomplete: true}); rep.Outcome == commands.OutcomeRateLimited {
			limited++
		}
	}
	if limited != 5 {
		t.Errorf("autocomplete flood: got %d limited of %d, want 5", limited, commands.AutocompleteBurst+5)
	}
	if rep, _ := rt.Serve(context.Background(), &commands.Request{Command: "story", User: "u2"}); rep.Outcome != "" {
		t.Errorf("another user: got outcome %q, want ok", rep.Outcome)
	}
}

// budgets is a commands.Budgets in memory.
type budgets struct {
	s        store.Settings
	reserved int
	spent    string
}

func (b *budgets) GuildSettings(context.Context, string) (store.Settings, error) { return b.s, nil }
func (b *budgets) UpdateGuildSettings(_ context.Context, _ string, apply func(*store.Settings) error) (store.Settings, error) {
	err := apply(&b.s)
	return b.s, err
}
func (b *budgets) GuildUsage(context.Context, string, string, string) ([]store.Usage, error) {
	return nil, nil
}
func (b *budgets) TopUsers(context.Context, string, string, int) ([]store.UserUsage, error) {
	return nil, nil
}
func (b *budgets) ReserveCall(context.Context, string, string, string, store.Budget) (string, error) {
	if b.spent != "" {
		return b.spent, nil
	}
	b.reserved++
	return "", nil
}
func (b *budgets) AddUsage(_ context.Context, _, _, _ string, calls, _ int64) error {
	b.reserved += int(calls)
	return nil
}

func TestPolicyMiddleware(t *testing.T) {
	st := &budgets{s: store.Settings{GuildID: "g", Channels: []string{"c1"}, ModelRoles: []string{"r1"}, Budget: store.Budget{UserCalls: store.Cap(5)}}}
	p := &commands.Policy{Store: st, NoDMModel: true, Log: quiet()}
	rt := router(p.Middleware)
	rt.Handle("storybot", echo)
	serve := func(r commands.Request) commands.Reply {
		rep, err := rt.Serve(context.Background(), &r)
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}
	if rep := serve(commands.Request{Command: "story", Guild: "g", Channel: "c2", Roles: []string{"r1"}}); rep.Outcome != commands.OutcomeRefused || !strings.Contains(rep.Message, "answers only in") {
		t.Errorf("another channel: got %+v, want a refusal naming the channel", rep)
	}
	if rep := serve(commands.Request{Command: "story", Guild: "g", Channel: "c1"}); rep.Message != "offline: "+generate.FallbackNoAccess {
		t.Errorf("without the model role: got %+v, want the model kept out", rep)
	}
	if rep := serve(commands.Request{Command: "story", Guild: "g", Channel: "c1", Roles: []string{"r1"}}); rep.Message != "ok" || st.reserved != 0 {
		t.Errorf("with the role: got %+v and %d reserved, want ok and the unused call given back", rep, st.reserved)
	}
	st.spent = store.UserBudget
	p.Remember(st.s)
	if rep := serve(commands.Request{Command: "story", Guild: "g", Channel: "c1", Roles: []string{"r1"}}); rep.Message != "offline: "+generate.FallbackBudget || !strings.Contains(rep.Note, "budget is used up") {
		t.Errorf("budget spent: got %+v, want the model kept out with a note", rep)
	}
	if rep := serve(commands.Request{Command: "story", User: "u"}); rep.Message != "offline: "+generate.FallbackNoAccess {
		t.Errorf("a DM with NoDMModel: got %+v, want the model kept out", rep)
	}
	if rep := serve(commands.Request{Command: "storybot", Guild: "g", Channel: "c2"}); rep.Message != "ok" {
		t.Errorf("/storybot in another channel: got %+v, want it served (the server's admins, wherever they are)", rep)
	}
}

// An autocomplete never runs /storybot's changes, and gets no choices
// while the server's settings cannot be read.
func TestAutocompleteNeverWrites(t *testing.T) {
	st := &budgets{s: store.Settings{GuildID: "g"}}
	rt := &commands.Router{}
	rt.Handle("storybot", commands.AdminHandler(commands.AdminConfig{Store: st, Log: quiet()}))
	req := &commands.Request{Command: "storybot", Path: "settings set", Autocomplete: true, Guild: "g", Admin: true,
		Changes: []commands.Change{{Name: commands.SettingStyle, Value: "brief"}}}
	if _, err := rt.Serve(context.Background(), req); err != nil || st.s.Style != "" {
		t.Errorf("got style %q, %v; want nothing changed", st.s.Style, err)
	}
}

// failing is a settings store that cannot be read.
type failing struct{ budgets }

func (failing) GuildSettings(context.Context, string) (store.Settings, error) {
	return store.Settings{}, errors.New("disk on fire")
}

func TestAutocompleteUnknownSettings(t *testing.T) {
	p := &commands.Policy{Store: &failing{}, Log: quiet()}
	rep, err := router(p.Middleware).Serve(context.Background(), &commands.Request{Command: "story", Guild: "g2", Autocomplete: true})
	if err != nil || rep.Outcome != commands.OutcomeRefused || rep.Message != "" {
		t.Errorf("got %+v, %v; want no choices", rep, err)
	}
}

// Direct messages have the operator's budget: a user past it gets the
// extractive reply with a note; the use is counted under DMUsage.
func TestPolicyDMBudget(t *testing.T) {
	st := &dmBudgets{}
	p := &commands.Policy{Store: st, DM: commands.DMBudget{UserCalls: store.Cap(1)}, Log: quiet()}
	rt := router(p.Middleware)
	first, _ := rt.Serve(context.Background(), &commands.Request{Command: "story", User: "u"})
	if first.Message != "ok" || st.guild != commands.DMUsage {
		t.Errorf("first DM: got %+v, counted on %q; want the model and DMUsage", first, st.guild)
	}
	st.spent = store.UserBudget
	second, _ := rt.Serve(context.Background(), &commands.Request{Command: "story", User: "u"})
	if second.Message != "offline: "+generate.FallbackBudget || !strings.Contains(second.Note, "budget is used up") {
		t.Errorf("past the budget: got %+v, want the model kept out with a note", second)
	}
}

// dmBudgets is budgets that records the server it was asked about.
type dmBudgets struct {
	budgets
	guild string
}

func (b *dmBudgets) ReserveCall(ctx context.Context, guild, user, day string, bu store.Budget) (string, error) {
	b.guild = guild
	return b.budgets.ReserveCall(ctx, guild, user, day, bu)
}
