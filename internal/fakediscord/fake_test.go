package fakediscord_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/storybot/storybot/internal/fakediscord"
	"github.com/storybot/storybot/internal/shared"
)

// TestValidatorCompiles checks the schema pointers compile against the
// shared OpenAPI subset and the limits file reads.
func TestValidatorCompiles(t *testing.T) {
	f, err := fakediscord.Start(fakediscord.Options{
		Spec:   shared.Path(t, "discord-api", "discord-openapi-subset.json"),
		Limits: shared.Path(t, "discord-api", "limits.json"),
	})
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
}

// TestCreateMessageValidated checks that messages posted to a channel are
// checked like every other message: against the schemas and the docs-only
// rules.
func TestCreateMessageValidated(t *testing.T) {
	f, err := fakediscord.Start(fakediscord.Options{
		Spec:   shared.Path(t, "discord-api", "discord-openapi-subset.json"),
		Limits: shared.Path(t, "discord-api", "limits.json"),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	const mentions = `"allowed_mentions": {"parse": []}`
	tests := []struct {
		name, body string
		want       int
	}{
		{"an embed", `{"embeds": [{"title": "Storm", "description": "Power cut."}], "tts": false, "components": null, "sticker_ids": null, ` + mentions + `}`, 200},
		{"no allowed_mentions", `{"content": "hi"}`, 400},
		{"content too long", `{"content": "` + strings.Repeat("a", 2001) + `", ` + mentions + `}`, 400},
		{"eleven embeds", `{"embeds": [` + strings.TrimSuffix(strings.Repeat(`{"title": "x"},`, 11), ",") + `], ` + mentions + `}`, 400},
		{"title too long", `{"embeds": [{"title": "` + strings.Repeat("a", 257) + `"}], ` + mentions + `}`, 400},
		{"embeds over 6000", `{"embeds": [{"description": "` + strings.Repeat("a", 4000) + `"}, {"description": "` + strings.Repeat("a", 4000) + `"}], ` + mentions + `}`, 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest("POST", f.APIURL()+"channels/700000000000000001/messages", strings.NewReader(tt.body))
			req.Header.Set("Authorization", "Bot "+f.Token())
			req.Header.Set("Content-Type", "application/json")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.want {
				t.Errorf("got status %d, want %d", resp.StatusCode, tt.want)
			}
		})
	}
	var got []string
	for _, r := range f.Requests() {
		if r.Kind == fakediscord.KindMessage && r.Channel == "700000000000000001" {
			got = append(got, r.Channel)
		}
	}
	if len(got) != len(tests) {
		t.Errorf("got %d message requests recorded, want %d", len(got), len(tests))
	}
}
