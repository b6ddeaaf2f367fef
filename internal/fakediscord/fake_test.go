package fakediscord_test

import (
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
