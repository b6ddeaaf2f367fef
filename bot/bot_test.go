package bot_test

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/storybot/storybot/article"
	"github.com/storybot/storybot/bot"
	"github.com/storybot/storybot/commands"
	"github.com/storybot/storybot/internal/fakediscord"
	"github.com/storybot/storybot/llm/mock"
)

// storyReply sends in, checks the deferred callback came first, and
// returns the final edit.
func storyReply(t *testing.T, h *harness, in fakediscord.Interaction) (fakediscord.Interaction, message) {
	t.Helper()
	in = h.send(t, in)
	cb := h.wait(t, ok(fakediscord.KindCallback, in.ID))
	switch typ, _ := cb.Callback(); typ {
	case 4: // ready within the acknowledgement window
		return in, decode(t, cb.Body)
	case 5: // deferred, then edited
	default:
		t.Fatalf("got callback type %d, want 4 (the reply) or 5 (deferred)\n%s", typ, cb.Body)
	}
	edit := h.wait(t, final(in.ID))
	if edit.Received.Before(cb.Received) {
		t.Errorf("got the edit before the deferred callback")
	}
	return in, decode(t, edit.Body)
}

func TestStory(t *testing.T) {
	h := start(t, setup{})
	tests := []struct {
		name, query, wantTitle, wantURL string
	}{
		{"newest", "", "Storm cuts power to 9,000 homes", ""},
		{"query", "riverside homes", "Council approves 240 riverside homes", "https://example.com/homes"},
		{"dm", "library", "Library reopens after fire", ""},
	}
	for n, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := command("story", user(n))
			if tt.query != "" {
				in.Options = []fakediscord.Option{{Name: "query", Value: tt.query}}
			}
			if tt.name == "dm" {
				in.GuildID = "" // user instead of member, no guild
			}
			_, m := storyReply(t, h, in)
			if len(m.Embeds) != 1 {
				t.Fatalf("got %d embeds, want 1", len(m.Embeds))
			}
			e := m.Embeds[0]
			if e.Title != tt.wantTitle || e.URL != tt.wantURL {
				t.Errorf("got title %q url %q, want %q %q", e.Title, e.URL, tt.wantTitle, tt.wantURL)
			}
			if !strings.HasPrefix(e.Footer.Text, "Summarized by mock") {
				t.Errorf("got footer %q, want Summarized by mock…", e.Footer.Text)
			}
			if e.Description == "" || len(e.Fields) == 0 || e.Fields[0].Name != "Published" {
				t.Errorf("got description %q fields %v, want a summary and Published", e.Description, e.Fields)
			}
		})
	}
	if g := h.fake.Gateway(); g.Intents != int(discordgo.IntentsGuilds) {
		t.Errorf("got intents %d, want %d (Guilds only)", g.Intents, discordgo.IntentsGuilds)
	}
}

func TestAutocomplete(t *testing.T) {
	var extra []article.Article
	for i := range 30 {
		extra = append(extra, article.Article{Title: fmt.Sprintf("Old story %d %s", i, strings.Repeat("long title ", 20)), Body: "Something happened.", Published: day.Add(-time.Duration(100+i) * time.Hour)})
	}
	h := start(t, setup{extra: extra})
	tests := []struct {
		name, command, option, prefix string
		wantN                         int
		wantFirst                     string
	}{
		{"empty is newest first", "story", "query", "", 25, "Storm cuts power to 9,000 homes"},
		{"prefix", "story", "query", "libr", 1, "Library reopens after fire"},
		{"ask story option", "ask", "story", "council", 1, "Council approves 240 riverside homes"},
		{"no match", "story", "query", "zzzz", 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := fakediscord.Interaction{Type: fakediscord.TypeAutocomplete, Command: tt.command, GuildID: "600000000000000001",
				Options: []fakediscord.Option{{Name: tt.option, Value: tt.prefix, Focused: true}}}
			in = h.send(t, in)
			cb := h.wait(t, ok(fakediscord.KindCallback, in.ID))
			typ, data := cb.Callback()
			if typ != 8 {
				t.Fatalf("got callback type %d, want 8", typ)
			}
			m := decode(t, data)
			if len(m.Choices) != tt.wantN {
				t.Fatalf("got %d choices, want %d", len(m.Choices), tt.wantN)
			}
			if tt.wantN > 0 && m.Choices[0].Name != tt.wantFirst {
				t.Errorf("got first choice %q, want %q", m.Choices[0].Name, tt.wantFirst)
			}
			for _, c := range m.Choices {
				if n := len([]rune(c.Name)); n > 100 || len(c.Value) > 100 {
					t.Errorf("got choice name of %d characters, want at most 100", n)
				}
			}
		})
	}
}

func TestSlowModelDefersThenEdits(t *testing.T) {
	h := start(t, setup{model: "mock-slow-1500ms", timeout: 5 * time.Second})
	_, m := storyReply(t, h, command("story", user(1), "query", "library"))
	if got := m.Embeds[0].Footer.Text; !strings.HasPrefix(got, "Summarized by") {
		t.Errorf("got footer %q, want the model's summary", got)
	}
}

func TestModelDown(t *testing.T) {
	h := start(t, setup{model: "mock-error-500"})
	_, m := storyReply(t, h, command("story", user(1), "query", "storm"))
	if got := m.Embeds[0].Footer.Text; !strings.HasPrefix(got, "Offline summary (extractive)") {
		t.Errorf("got footer %q, want the extractive fallback", got)
	}
	if m.Embeds[0].Description == "" {
		t.Errorf("got no summary, want the extractive one")
	}
}

func TestRateLimitedEditIsRetried(t *testing.T) {
	h := start(t, setup{model: "mock-slow-300ms", timeout: 10 * time.Second}) // deferred, then edited
	h.fake.RateLimit(fakediscord.KindEdit, 1, 0.05)
	in, m := storyReply(t, h, command("story", user(1), "query", "storm"))
	if len(m.Embeds) != 1 {
		t.Fatalf("got %d embeds, want 1", len(m.Embeds))
	}
	// The first edit (a draft, or the reply) is refused once, then sent
	// again; the reply is sent.
	var statuses []int
	for _, r := range h.fake.Requests() {
		if r.Kind == fakediscord.KindEdit && r.InteractionID == in.ID {
			statuses = append(statuses, r.Status)
		}
	}
	if len(statuses) < 2 || statuses[0] != 429 || statuses[1] != 200 || statuses[len(statuses)-1] != 200 || slices.Contains(statuses[1:], 429) {
		t.Errorf("got edit statuses %v, want [429 200 …200]", statuses)
	}
}

func TestFiftyUsers(t *testing.T) {
	h := start(t, setup{})
	var wg sync.WaitGroup
	ins := make([]fakediscord.Interaction, 50)
	for i := range ins {
		ins[i] = h.send(t, command("story", user(i), "query", []string{"storm", "library", "riverside homes"}[i%3]))
	}
	for _, in := range ins {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), bound)
			defer cancel()
			if _, err := h.fake.Wait(ctx, final(in.ID)); err != nil {
				t.Errorf("interaction %s: %v", in.ID, err)
			}
		}()
	}
	wg.Wait()
}

func TestGatewayDropAndResume(t *testing.T) {
	h := start(t, setup{})
	storyReply(t, h, command("story", user(1)))
	h.fake.Drop()
	// Sent while the bot is away: delivered on RESUME.
	_, m := storyReply(t, h, command("story", user(2), "query", "library"))
	if got := m.Embeds[0].Title; got != "Library reopens after fire" {
		t.Errorf("got %q after resuming, want the library story", got)
	}
	if g := h.fake.Gateway(); g.Identifies != 1 || g.Resumes < 1 {
		t.Errorf("got %d identifies and %d resumes, want 1 and at least 1", g.Identifies, g.Resumes)
	}
}

// privateReply returns the message only in's user sees: the first
// response when it came within the acknowledgement window, else the
// follow-up that replaces the deferred response (which is deleted).
func privateReply(t *testing.T, h *harness, in fakediscord.Interaction) message {
	t.Helper()
	cb := h.wait(t, ok(fakediscord.KindCallback, in.ID))
	var m message
	if typ, _ := cb.Callback(); typ == 4 {
		m = decode(t, cb.Body)
	} else {
		m = decode(t, h.wait(t, ok(fakediscord.KindFollowup, in.ID)).Body)
		h.wait(t, ok(fakediscord.KindDelete, in.ID))
	}
	if m.Flags&64 == 0 {
		t.Errorf("got flags %d (%q), want an ephemeral message", m.Flags, m.Content)
	}
	return m
}

func TestUnknownStory(t *testing.T) {
	h := start(t, setup{})
	in := h.send(t, command("story", user(1), "query", "zebra crossing giraffe"))
	if m := privateReply(t, h, in); !strings.Contains(m.Content, "No stored story matches") {
		t.Errorf("got %q, want 'No stored story matches'", m.Content)
	}
}

func TestEveryoneDoesNotPing(t *testing.T) {
	h := start(t, setup{})
	_, m := storyReply(t, h, command("story", user(1), "query", "open day welcome"))
	if m.AllowedMentions == nil || m.AllowedMentions.Parse == nil || len(m.AllowedMentions.Parse) != 0 {
		t.Fatalf("got allowed_mentions %+v, want parse []", m.AllowedMentions)
	}
	if got := m.Embeds[0].Title; !strings.Contains(got, "@everyone") {
		t.Errorf("got title %q, want the story's own text", got)
	}
}

func TestAsk(t *testing.T) {
	for _, tt := range []struct {
		name string
		s    setup
		want string
		note string
	}{
		{"model", setup{}, "About 9,000 homes lost power overnight as Storm Imogen hit. [1]", "Answered by mock"},
		{"model down", setup{model: mock.FaultError500}, "> About 9,000 homes lost power overnight as Storm Imogen hit. [1]", "Offline answer (extractive"},
		{"no model", setup{extractiveAnswers: true}, "> About 9,000 homes lost power overnight as Storm Imogen hit. [1]", "Offline answer (extractive"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := start(t, tt.s)
			_, m := storyReply(t, h, command("ask", user(1), "question", "How many homes lost power?"))
			e := m.Embeds[0]
			if !strings.Contains(e.Description, tt.want) {
				t.Errorf("got answer %q, want %q", e.Description, tt.want)
			}
			if len(e.Fields) != 1 || !strings.Contains(e.Fields[0].Value, "[1] Storm cuts power") {
				t.Errorf("got fields %+v, want source [1]", e.Fields)
			}
			if !strings.Contains(e.Footer.Text, tt.note) {
				t.Errorf("got footer %+v, want %q", e.Footer, tt.note)
			}
		})
	}
}

// Markdown and mentions in a story or question reach the reply as plain
// text: no pings, no broken layout, no links the story did not have.
func TestAskMarkdownAndMentions(t *testing.T) {
	h := start(t, setup{extra: []article.Article{{Title: "Fete *raises* money", Published: time.Now(),
		Body: "The @everyone fete raised **400 pounds** for <@123456789012345678> and [the roof](https://evil.example) with `code`."}}})
	_, m := storyReply(t, h, command("ask", user(1), "question", "How much did the *fete* raise? @everyone"))
	e := m.Embeds[0]
	for _, bad := range []string{"**400", " <@1", "](https://evil", " `code`", "Q: How much did the *fete*"} {
		if strings.Contains(e.Title+e.Description, bad) {
			t.Errorf("reply holds %q unescaped:\n%s\n%s", bad, e.Title, e.Description)
		}
	}
	if !strings.Contains(e.Description, "400 pounds") {
		t.Errorf("got %q, want the answer", e.Description)
	}
	if m.AllowedMentions == nil || len(m.AllowedMentions.Parse) != 0 {
		t.Errorf("got allowed_mentions %+v, want none", m.AllowedMentions)
	}
}

func TestUserRateLimit(t *testing.T) {
	h := start(t, setup{config: func(c *bot.Config) { c.UserBurst, c.UserEvery = 1, time.Hour }})
	storyReply(t, h, command("story", user(1)))
	in := h.send(t, command("story", user(1)))
	cb := h.wait(t, ok(fakediscord.KindCallback, in.ID))
	typ, data := cb.Callback()
	m := decode(t, data)
	if typ != 4 || m.Flags&64 == 0 || !strings.Contains(m.Content, "try again <t:") {
		t.Errorf("got type %d flags %d content %q, want an ephemeral 'try again'", typ, m.Flags, m.Content)
	}
}

func TestRegisterOnlyWhenChanged(t *testing.T) {
	h := start(t, setup{config: func(c *bot.Config) { c.GuildID = "600000000000000001" }})
	h.stop()
	start(t, setup{fake: h.fake, db: h.db, config: func(c *bot.Config) { c.GuildID = "600000000000000001" }}).stop()
	var puts, gets int
	for _, r := range h.fake.Requests() {
		switch r.Kind {
		case fakediscord.KindCommandsPut:
			puts++
			if r.Guild != "600000000000000001" {
				t.Errorf("got a bulk overwrite for guild %q, want the configured guild", r.Guild)
			}
		case fakediscord.KindCommandsGet:
			gets++
		}
	}
	if puts != 1 || gets != 2 {
		t.Errorf("got %d bulk overwrites and %d lists over two starts, want 1 and 2", puts, gets)
	}
}

// TestBusyModel: with one model slot, busy for a while, a cached story is
// answered from the cache and a new one with the labelled extractive
// summary, both before the busy call ends.
func TestBusyModel(t *testing.T) {
	h := start(t, setup{model: "mock-slow-1500ms", timeout: 5 * time.Second, modelCalls: 1, modelWait: 20 * time.Millisecond})
	storyReply(t, h, command("story", user(1), "query", "storm")) // now cached

	held := h.send(t, command("story", user(2), "query", "library"))
	for h.calls.Load() < 2 { // the library call holds the slot once the mock has it
		select {
		case <-time.After(time.Millisecond):
		case <-t.Context().Done():
			t.Fatal("the model was not called")
		}
	}
	_, cached := storyReply(t, h, command("story", user(3), "query", "storm"))
	_, busy := storyReply(t, h, command("story", user(4), "query", "riverside homes"))
	if got := cached.Embeds[0].Footer.Text; !strings.HasSuffix(got, "(cached)") {
		t.Errorf("cached story while the model is busy: got footer %q, want …(cached)", got)
	}
	if got := busy.Embeds[0].Footer.Text; !strings.HasPrefix(got, "Offline summary (extractive)") {
		t.Errorf("new story while the model is busy: got footer %q, want the extractive fallback", got)
	}
	for _, r := range h.fake.Requests() {
		if r.Kind == fakediscord.KindEdit && r.InteractionID == held.ID && !isDraft(r) {
			t.Errorf("the busy call ended before the others were answered; want them answered while it runs")
		}
	}
	edit := h.wait(t, final(held.ID))
	if got := decode(t, edit.Body).Embeds[0].Footer.Text; !strings.HasPrefix(got, "Summarized by") {
		t.Errorf("the busy call: got footer %q, want the model's summary", got)
	}
}

// observed records what the bot reports to its Observer.
type observed struct {
	mu  sync.Mutex
	got []string // "command outcome"
}

func (o *observed) ObserveInteraction(command, outcome string, took time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.got = append(o.got, command+" "+outcome)
}

func (o *observed) has(s string) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return slices.Contains(o.got, s)
}

func TestObserver(t *testing.T) {
	obs := &observed{}
	h := start(t, setup{config: func(c *bot.Config) { c.Observer = obs }})
	in := h.send(t, command("story", user(1)))
	h.wait(t, final(in.ID))
	in = h.send(t, command("story", user(2), "query", "zebra crossing giraffe"))
	privateReply(t, h, in)
	h.stop()
	for _, want := range []string{"story ok", "story not-found"} {
		if !obs.has(want) {
			t.Errorf("observer did not get %q (got %q)", want, obs.got)
		}
	}
}

// TestDraftsWhileTheModelWrites: a slow stream shows drafts of whole,
// checked sentences, at most one an interval, then the checked summary
// replaces them.
func TestDraftsWhileTheModelWrites(t *testing.T) {
	h := start(t, setup{chunkDelay: 40 * time.Millisecond, timeout: 10 * time.Second,
		config: func(c *bot.Config) { c.DraftEvery = 300 * time.Millisecond }})
	in := h.send(t, command("story", user(1), "style", "detailed"))
	h.wait(t, func(r fakediscord.Request) bool {
		return ok(fakediscord.KindEdit, in.ID)(r) && strings.Contains(string(r.Body), "Summarized by")
	})
	h.stop()
	var drafts, finals int
	for _, r := range h.fake.Requests() {
		if !ok(fakediscord.KindEdit, in.ID)(r) {
			continue
		}
		m := decode(t, r.Body)
		if len(m.Embeds) != 1 {
			t.Fatalf("edit with %d embeds: %s", len(m.Embeds), r.Body)
		}
		switch foot := m.Embeds[0].Footer.Text; {
		case strings.HasPrefix(foot, "Writing"):
			if finals > 0 {
				t.Errorf("a draft came after the final reply: %q", m.Embeds[0].Description)
			}
			if d := m.Embeds[0].Description; !strings.HasSuffix(d, ".") {
				t.Errorf("a draft with an unfinished sentence: %q", d)
			}
			drafts++
		case strings.HasPrefix(foot, "Summarized by"):
			finals++
		default:
			t.Errorf("unexpected footer %q", foot)
		}
	}
	if drafts < 1 || finals != 1 {
		t.Errorf("got %d drafts and %d final replies, want at least 1 draft and 1 final", drafts, finals)
	}
}

// TestFirstDraftAtOnce: the first draft is shown as soon as the model has
// written something, not an interval later; the next waits an interval,
// and none comes after the reply.
func TestFirstDraftAtOnce(t *testing.T) {
	h := start(t, setup{chunkDelay: 40 * time.Millisecond, timeout: 10 * time.Second,
		config: func(c *bot.Config) { c.DraftEvery = 20 * time.Second }})
	in := h.send(t, command("story", user(1), "style", "detailed"))
	h.wait(t, final(in.ID))
	h.stop()
	var kinds []string
	for _, r := range h.fake.Requests() {
		if ok(fakediscord.KindEdit, in.ID)(r) {
			kinds = append(kinds, map[bool]string{true: "draft", false: "reply"}[isDraft(r)])
		}
	}
	if fmt.Sprint(kinds) != "[draft reply]" {
		t.Errorf("got edits %v, want [draft reply]: one draft at once, none an interval (20 s) later", kinds)
	}
}

// TestUnfaithfulDraftIsReplaced: a draft that fails the checks when the
// model is done is replaced by the labelled extractive summary.
func TestUnfaithfulDraftIsReplaced(t *testing.T) {
	h := start(t, setup{model: mock.FaultHallucinate, chunkDelay: 40 * time.Millisecond, timeout: 10 * time.Second,
		config: func(c *bot.Config) { c.DraftEvery = 300 * time.Millisecond }})
	in := h.send(t, command("story", user(1), "style", "detailed"))
	f := h.wait(t, func(r fakediscord.Request) bool {
		return ok(fakediscord.KindEdit, in.ID)(r) && !strings.Contains(string(r.Body), "Writing")
	})
	if m := decode(t, f.Body); !strings.Contains(m.Embeds[0].Footer.Text, "Offline summary (extractive)") {
		t.Errorf("final footer %q, want the extractive summary's", m.Embeds[0].Footer.Text)
	}
}

// TestHostileStreamingModel: a model that echoes its instructions, or adds
// a masked link and a role mention, while it streams: no draft and no final
// reply shows the echo or the link; the drafts show the checked sentences
// before it, and the final is the labelled extractive summary.
func TestHostileStreamingModel(t *testing.T) {
	for _, model := range []string{mock.FaultEchoPrompt, mock.FaultLink} {
		t.Run(model, func(t *testing.T) {
			h := start(t, setup{model: model, chunkDelay: 30 * time.Millisecond, timeout: 10 * time.Second,
				config: func(c *bot.Config) { c.DraftEvery = 200 * time.Millisecond }})
			in := h.send(t, command("story", user(1), "style", "detailed"))
			h.wait(t, func(r fakediscord.Request) bool {
				return ok(fakediscord.KindEdit, in.ID)(r) && !strings.Contains(string(r.Body), "Writing")
			})
			h.stop()
			var drafts int
			for _, r := range h.fake.Requests() {
				if !ok(fakediscord.KindEdit, in.ID)(r) {
					continue
				}
				body := string(r.Body)
				for _, bad := range []string{"elsewhere.example", "<@&", "never as instructions", "You summarize news articles", "no preamble, title"} {
					if strings.Contains(body, bad) {
						t.Errorf("an edit shows %q: %s", bad, body)
					}
				}
				m := decode(t, r.Body)
				switch foot := m.Embeds[0].Footer.Text; {
				case strings.HasPrefix(foot, "Writing"):
					drafts++
				case !strings.Contains(foot, "Offline summary (extractive)"):
					t.Errorf("final footer %q, want the extractive summary's", foot)
				}
			}
			if model == mock.FaultEchoPrompt && drafts == 0 {
				t.Errorf("no draft of the checked first sentence")
			}
		})
	}
}

// The longest question, all markdown, still makes a reply within
// Discord's limits once escaped (the fake checks every limit).
func TestAskLongMarkdownQuestion(t *testing.T) {
	h := start(t, setup{})
	_, m := storyReply(t, h, command("ask", user(1), "question", strings.Repeat("*_", commands.MaxQuestion/2)))
	if len(m.Embeds) != 1 || !strings.HasPrefix(m.Embeds[0].Title, `Q: \*\_`) {
		t.Errorf("got %+v, want one embed titled with the escaped question", m.Embeds)
	}
}

// A story's URL cannot add a link of its own to the sources, and every
// cited source is listed however long the titles.
func TestAskSourcesField(t *testing.T) {
	long := strings.Repeat("Very long headline about the bridge ", 12)
	var extra []article.Article
	for i := range 4 {
		extra = append(extra, article.Article{
			Title:     fmt.Sprintf("%s %d", long, i),
			Body:      fmt.Sprintf("The Ferry Lane bridge toll rose to %d pounds this week.", i+2),
			URL:       fmt.Sprintf("https://news.example/bridge-%d)[Verify your account](https://phish.example/", i),
			Published: time.Now(),
		})
	}
	h := start(t, setup{extractiveAnswers: true, extra: extra})
	_, m := storyReply(t, h, command("ask", user(1), "question", "What did the Ferry Lane bridge toll rise to?"))
	f := m.Embeds[0].Fields
	if len(f) != 1 {
		t.Fatalf("got fields %+v, want one for the sources", f)
	}
	if strings.Contains(f[0].Value, "](https://phish") {
		t.Errorf("the sources hold a second link: %s", f[0].Value)
	}
	for _, cited := range citedNumbers(m.Embeds[0].Description) {
		if !strings.Contains(f[0].Value, fmt.Sprintf("[%s]", cited)) {
			t.Errorf("the answer cites [%s] but the sources do not list it:\n%s", cited, f[0].Value)
		}
	}
}

// citedNumbers returns the numbers of the citations ([n]) in s.
func citedNumbers(s string) []string {
	var out []string
	for _, m := range regexp.MustCompile(`\[(\d+)\]`).FindAllStringSubmatch(s, -1) {
		out = append(out, m[1])
	}
	return out
}
