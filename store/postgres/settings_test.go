package postgres

import (
	"testing"

	"github.com/storybot/storybot/internal/pgtest"
	"github.com/storybot/storybot/store/storetest"
)

// TestSettings runs the settings and usage tests every backend shares, each
// on a schema of its own.
func TestSettings(t *testing.T) {
	pgtest.Require(t)
	storetest.RunSettings(t, func(t *testing.T) storetest.SettingsStore {
		return openURL(t, pgtest.URL(t))
	})
}
