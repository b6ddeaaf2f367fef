package llm_test

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"time"

	"github.com/storybot/storybot/llm"
	"github.com/storybot/storybot/llm/mock"
	"github.com/storybot/storybot/prompts"
)

// A summary through the mock model: render the prompts, call the model, and
// on failure use the error's Kind (a real caller falls back to the
// extractive summary and logs err once).
func ExampleClient_Complete() {
	srv := httptest.NewServer(mock.NewServer(mock.Options{}))
	defer srv.Close()

	set, err := prompts.Load("") // PROMPTS_DIR in storybot
	if err != nil {
		panic(err)
	}
	p, err := set.Summary("Homes approved",
		"The council approved 300 homes on Monday. Residents objected. Work starts in spring.", "brief")
	if err != nil {
		panic(err)
	}
	c, err := llm.New(llm.Config{BaseURL: srv.URL + "/v1", Model: "mock", Timeout: 5 * time.Second})
	if err != nil {
		panic(err)
	}
	rep, err := c.Complete(context.Background(), llm.Request{System: p.System, User: p.User})
	if err != nil {
		var e *llm.Error // every error from a Client is one
		errors.As(err, &e)
		if e.Kind.Setting() != "" {
			fmt.Println("configuration problem:", e.Reason()) // names LLM_API_KEY, LLM_MODEL or LLM_BASE_URL
		}
		fmt.Println("falling back to the extractive summary:", e.Reason())
		return
	}
	fmt.Printf("%s (written by %s)\n", rep.Text, rep.Model)
	// Output: The council approved 300 homes on Monday. Residents objected. Work starts in spring. (written by mock)
}

// Streaming, for live edits: onDelta gets each piece as it arrives.
func ExampleClient_Stream() {
	srv := httptest.NewServer(mock.NewServer(mock.Options{}))
	defer srv.Close()
	c, err := llm.New(llm.Config{BaseURL: srv.URL + "/v1", Model: "mock-cut-stream"})
	if err != nil {
		panic(err)
	}
	var pieces int
	rep, err := c.Stream(context.Background(), llm.Request{User: "One two three four. Five six."},
		func(text string) { pieces++ })
	var e *llm.Error
	if errors.As(err, &e) {
		fmt.Printf("%v after %d pieces: %q\n", e.Kind, pieces, rep.Text)
	}
	// Output: truncated reply after 3 pieces: "One two three"
}
