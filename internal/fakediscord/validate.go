package fakediscord

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"strings"
	"sync"
	"unicode/utf16"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// Schema pointers into discord-openapi-subset.json (see its README).
const (
	ptrBulkGlobal   = "#/paths/~1applications~1{application_id}~1commands/put/requestBody/content/application~1json/schema"
	ptrBulkGuild    = "#/paths/~1applications~1{application_id}~1guilds~1{guild_id}~1commands/put/requestBody/content/application~1json/schema"
	ptrCallback     = "#/paths/~1interactions~1{interaction_id}~1{interaction_token}~1callback/post/requestBody/content/application~1json/schema"
	ptrMessageCB    = "#/components/schemas/CreateMessageInteractionCallbackRequest"
	ptrAutocomplete = "#/components/schemas/ApplicationCommandAutocompleteCallbackRequest"
	ptrEdit         = "#/components/schemas/IncomingWebhookUpdateRequestPartial"
	ptrFollowup     = "#/components/schemas/IncomingWebhookRequestPartial"
	// ptrCreateMessage is in createMessageSchema, not in the subset.
	ptrCreateMessage = "create-message.json#"
)

// createMessageSchema is the body of POST /channels/{channel_id}/messages
// (MessageCreateRequest in Discord's spec), which the shared subset does
// not hold: the fields the spec lists for it, each with the subset's own
// schema where the subset has one (embeds, allowed mentions, components,
// attachments, poll) and the spec's limits (2000 characters of content, 10
// embeds, 3 stickers).
const createMessageSchema = `{
	"type": "object",
	"properties": {
		"content": {"type": ["string", "null"], "maxLength": 2000},
		"embeds": {"type": ["array", "null"], "items": {"$ref": "discord.json#/components/schemas/RichEmbed"}, "maxItems": 10},
		"allowed_mentions": {"oneOf": [{"type": "null"}, {"$ref": "discord.json#/components/schemas/MessageAllowedMentionsRequest"}]},
		"sticker_ids": {"type": ["array", "null"], "items": {"$ref": "discord.json#/components/schemas/SnowflakeType"}, "maxItems": 3},
		"components": {"$ref": "discord.json#/components/schemas/IncomingWebhookRequestPartial/properties/components"},
		"attachments": {"$ref": "discord.json#/components/schemas/IncomingWebhookRequestPartial/properties/attachments"},
		"poll": {"$ref": "discord.json#/components/schemas/IncomingWebhookRequestPartial/properties/poll"},
		"flags": {"type": ["integer", "null"]},
		"tts": {"type": ["boolean", "null"]},
		"nonce": {"oneOf": [{"type": "null"}, {"type": "integer"}, {"type": "string", "maxLength": 25}]},
		"enforce_nonce": {"type": ["boolean", "null"]},
		"message_reference": {"type": ["object", "null"]}
	}
}`

// validator checks request bodies against the Discord OpenAPI subset and the
// docs-only limits the schemas cannot express.
type validator struct {
	schemas     map[string]*jsonschema.Schema // by pointer; empty when no spec was given
	embedTotal  int                           // limits.json embed.total.max
	commandName *regexp.Regexp

	// seen memoizes schema results for small bodies: a burst of identical
	// bodies (every deferred callback is {"type":5}) is validated once.
	// Validation is deterministic, so a repeat gets the same answer.
	mu   sync.Mutex
	seen map[string][]string
}

// Bounds of validator.seen.
const (
	maxMemoBody    = 512
	maxMemoEntries = 4096
)

func newValidator(specPath, limitsPath string) (*validator, error) {
	v := &validator{schemas: map[string]*jsonschema.Schema{}, embedTotal: 6000, seen: map[string][]string{},
		// limits.json command.name.regex, in RE2 spelling (no \p{sc=…}).
		commandName: regexp.MustCompile(`^[-_'\p{L}\p{N}\p{Devanagari}\p{Thai}]{1,32}$`)}
	if limitsPath != "" {
		n, err := embedTotalLimit(limitsPath)
		if err != nil {
			return nil, err
		}
		v.embedTotal = n
	}
	if specPath == "" {
		return v, nil
	}
	f, err := os.Open(specPath)
	if err != nil {
		return nil, fmt.Errorf("open spec: %w", err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		return nil, fmt.Errorf("read spec %s: %w", specPath, err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	const base = "https://fakediscord.invalid/"
	const url = base + "discord.json"
	if err := c.AddResource(url, doc); err != nil {
		return nil, fmt.Errorf("add spec: %w", err)
	}
	cm, err := jsonschema.UnmarshalJSON(strings.NewReader(createMessageSchema))
	if err != nil {
		return nil, fmt.Errorf("read the create-message schema: %w", err)
	}
	if err := c.AddResource(base+"create-message.json", cm); err != nil {
		return nil, fmt.Errorf("add the create-message schema: %w", err)
	}
	for _, p := range []string{ptrBulkGlobal, ptrBulkGuild, ptrCallback, ptrMessageCB, ptrAutocomplete, ptrEdit, ptrFollowup, ptrCreateMessage} {
		u := url + p
		if p == ptrCreateMessage {
			u = base + p
		}
		s, err := c.Compile(u)
		if err != nil {
			return nil, fmt.Errorf("compile %s: %w", p, err)
		}
		v.schemas[p] = s
	}
	return v, nil
}

func embedTotalLimit(path string) (int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, fmt.Errorf("read limits: %w", err)
	}
	var l struct {
		Limits []struct {
			ID    string          `json:"id"`
			Value json.RawMessage `json:"value"`
		} `json:"limits"`
	}
	if err := json.Unmarshal(b, &l); err != nil {
		return 0, fmt.Errorf("read limits %s: %w", path, err)
	}
	for _, e := range l.Limits {
		if e.ID == "embed.total.max" {
			var n int
			if err := json.Unmarshal(e.Value, &n); err != nil {
				return 0, fmt.Errorf("limits %s: embed.total.max: %w", path, err)
			}
			return n, nil
		}
	}
	return 0, fmt.Errorf("limits %s: no embed.total.max", path)
}

// schema validates body against the schema at ptr, if loaded.
func (v *validator) schema(ptr string, body []byte) []string {
	s := v.schemas[ptr]
	if s == nil {
		return nil
	}
	if len(body) > maxMemoBody {
		return validate(s, ptr, body)
	}
	key := ptr + "\x00" + string(body)
	v.mu.Lock()
	problems, ok := v.seen[key]
	v.mu.Unlock()
	if ok {
		return problems
	}
	problems = validate(s, ptr, body)
	v.mu.Lock()
	if len(v.seen) < maxMemoEntries {
		v.seen[key] = problems
	}
	v.mu.Unlock()
	return problems
}

// validate checks body against s, the schema at ptr.
func validate(s *jsonschema.Schema, ptr string, body []byte) []string {
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		return []string{"body is not JSON: " + err.Error()}
	}
	if err := s.Validate(inst); err != nil {
		return []string{fmt.Sprintf("schema %s: %v", ptr, err)}
	}
	return nil
}

// message is the part of a message body the docs-only checks read.
type message struct {
	Content         *string          `json:"content"`
	Embeds          []embed          `json:"embeds"`
	AllowedMentions *allowedMentions `json:"allowed_mentions"`
	Flags           int              `json:"flags"`
}

type allowedMentions struct {
	Parse *[]string `json:"parse"`
}

type embed struct {
	Title       string `json:"title"`
	Description string `json:"description"`
	Fields      []struct {
		Name  string `json:"name"`
		Value string `json:"value"`
	} `json:"fields"`
	Footer *struct {
		Text string `json:"text"`
	} `json:"footer"`
	Author *struct {
		Name string `json:"name"`
	} `json:"author"`
}

// chars counts characters as the strictest reading of Discord's limits:
// UTF-16 code units, leading and trailing white space not counted.
func chars(s string) int { return len(utf16.Encode([]rune(strings.TrimSpace(s)))) }

// messageRules checks a message body (callback data, edit or follow-up)
// against limits.json's docs-only rules: the 6000-character embed total and
// allowed_mentions {"parse": []} on every message.
func (v *validator) messageRules(data []byte) []string {
	var m message
	if err := json.Unmarshal(data, &m); err != nil {
		return []string{"message body: " + err.Error()}
	}
	var problems []string
	total := 0
	for _, e := range m.Embeds {
		total += chars(e.Title) + chars(e.Description)
		for _, f := range e.Fields {
			total += chars(f.Name) + chars(f.Value)
		}
		if e.Footer != nil {
			total += chars(e.Footer.Text)
		}
		if e.Author != nil {
			total += chars(e.Author.Name)
		}
	}
	if total > v.embedTotal {
		problems = append(problems, fmt.Sprintf("embeds hold %d characters, over the %d limit", total, v.embedTotal))
	}
	switch {
	case m.AllowedMentions == nil:
		problems = append(problems, `allowed_mentions is missing or null; want {"parse": []}`)
	case m.AllowedMentions.Parse == nil:
		problems = append(problems, `allowed_mentions.parse is missing or null; want []`)
	case len(*m.AllowedMentions.Parse) != 0:
		problems = append(problems, fmt.Sprintf("allowed_mentions.parse is %q; want []", *m.AllowedMentions.Parse))
	}
	return problems
}

// docsCommands returns a bulk overwrite body as the spec's schema reads it.
// Discord's docs give default_member_permissions as a string (a bit set,
// which can pass 2^53), and discordgo sends it so; the spec says integer.
// Discord takes both, and where the two differ the docs win (see
// ../shared/discord-api/README.md): a string of digits is checked as the
// number it holds, and any other string is left to fail the schema.
func docsCommands(body []byte) []byte {
	var cmds []map[string]json.RawMessage
	if err := json.Unmarshal(body, &cmds); err != nil {
		return body
	}
	for _, c := range cmds {
		var perm string
		if json.Unmarshal(c["default_member_permissions"], &perm) == nil && digits.MatchString(perm) {
			c["default_member_permissions"] = json.RawMessage(perm)
		}
	}
	out, err := json.Marshal(cmds)
	if err != nil {
		return body
	}
	return out
}

var digits = regexp.MustCompile(`^[0-9]{1,17}$`)

// commandRules checks a bulk overwrite body against the docs-only command
// rules: the name regex, required options first, autocomplete without
// choices, unique option names.
func (v *validator) commandRules(body []byte) []string {
	var cmds []struct {
		Name    string `json:"name"`
		Options []struct {
			Name         string            `json:"name"`
			Required     bool              `json:"required"`
			Autocomplete bool              `json:"autocomplete"`
			Choices      []json.RawMessage `json:"choices"`
		} `json:"options"`
	}
	if err := json.Unmarshal(body, &cmds); err != nil {
		return []string{"commands body: " + err.Error()}
	}
	var problems []string
	for _, c := range cmds {
		if !v.commandName.MatchString(c.Name) || strings.ToLower(c.Name) != c.Name {
			problems = append(problems, fmt.Sprintf("command name %q breaks the name rule", c.Name))
		}
		seen := map[string]bool{}
		optional := false
		for _, o := range c.Options {
			if !v.commandName.MatchString(o.Name) || strings.ToLower(o.Name) != o.Name {
				problems = append(problems, fmt.Sprintf("/%s option name %q breaks the name rule", c.Name, o.Name))
			}
			if seen[o.Name] {
				problems = append(problems, fmt.Sprintf("/%s option %q twice", c.Name, o.Name))
			}
			seen[o.Name] = true
			if o.Required && optional {
				problems = append(problems, fmt.Sprintf("/%s required option %q after an optional one", c.Name, o.Name))
			}
			optional = optional || !o.Required
			if o.Autocomplete && len(o.Choices) > 0 {
				problems = append(problems, fmt.Sprintf("/%s option %q has autocomplete and choices", c.Name, o.Name))
			}
		}
	}
	return problems
}
