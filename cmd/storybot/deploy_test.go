package main

import (
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/storybot/storybot/bot"

	"go.yaml.in/yaml/v3"
)

// TestStaticBinary builds storybot as the Dockerfile does and checks that it
// needs no dynamic loader or shared library (what "ldd: not a dynamic
// executable" says), so it runs on a distroless static image.
func TestStaticBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("slow: builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "storybot")
	cmd := exec.Command("go", "build", "-trimpath", "-o", bin, ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	f, err := elf.Open(bin)
	if err != nil {
		t.Skipf("not an ELF binary on this system: %v", err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Error("the binary asks for a dynamic loader (PT_INTERP)")
		}
	}
	if libs, err := f.ImportedLibraries(); err == nil && len(libs) > 0 {
		t.Errorf("the binary needs shared libraries: %v", libs)
	}
	// Every command the image runs works from the built binary.
	for _, args := range [][]string{{"--help"}, {"run", "--help"}, {"healthcheck", "--help"}, {"ingest", "--help"}} {
		if out, err := exec.Command(bin, args...).CombinedOutput(); err != nil {
			t.Errorf("storybot %v: %v\n%s", args, err, out)
		}
	}
}

// TestComposeFile checks what docker-compose.yml must hold: the storybot
// service reading .env, its data in a named volume, the health check, and
// Ollama behind a profile.
func TestComposeFile(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "docker-compose.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var c struct {
		Services map[string]struct {
			Build       any      `yaml:"build"`
			EnvFile     any      `yaml:"env_file"`
			Volumes     []string `yaml:"volumes"`
			Profiles    []string `yaml:"profiles"`
			Healthcheck struct {
				Test []string `yaml:"test"`
			} `yaml:"healthcheck"`
			StopGracePeriod string `yaml:"stop_grace_period"`
		} `yaml:"services"`
		Volumes map[string]any `yaml:"volumes"`
	}
	if err := yaml.Unmarshal(b, &c); err != nil {
		t.Fatalf("docker-compose.yml: %v", err)
	}
	sb, ok := c.Services["storybot"]
	if !ok {
		t.Fatal("no storybot service")
	}
	if sb.EnvFile != ".env" {
		t.Errorf("storybot env_file: got %v, want .env", sb.EnvFile)
	}
	if !slices.Contains(sb.Volumes, "storybot-data:/data") {
		t.Errorf("storybot volumes: got %v, want storybot-data:/data", sb.Volumes)
	}
	if _, ok := c.Volumes["storybot-data"]; !ok {
		t.Error("the named volume storybot-data is not declared")
	}
	if !slices.Equal(sb.Healthcheck.Test, []string{"CMD", "storybot", "healthcheck"}) {
		t.Errorf("storybot healthcheck: got %v", sb.Healthcheck.Test)
	}
	// Docker kills a container 10 s after asking it to stop unless told
	// otherwise: longer than BOT_SHUTDOWN_GRACE's default 15 s and the last
	// REST calls after it.
	if d, err := time.ParseDuration(sb.StopGracePeriod); err != nil || d < time.Duration(2)*bot.DefaultGrace {
		t.Errorf("storybot stop_grace_period: got %q, want at least twice the default shutdown grace (%v)", sb.StopGracePeriod, bot.DefaultGrace)
	}
	if o, ok := c.Services["ollama"]; !ok || !slices.Contains(o.Profiles, "ollama") {
		t.Error("no ollama service behind the ollama profile")
	}
}
