package sqlite

import (
	"os"
	"path/filepath"
)

// benchDir is where filled benchmark stores are kept between runs
// ($STORYBOT_BENCH_DIR, else the user's cache folder).
func benchDir() (string, error) {
	if d := os.Getenv("STORYBOT_BENCH_DIR"); d != "" {
		return d, os.MkdirAll(d, 0o755)
	}
	c, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	d := filepath.Join(c, "storybot-bench")
	return d, os.MkdirAll(d, 0o755)
}
