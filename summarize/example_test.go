package summarize_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"time"

	"github.com/storybot/storybot/llm"
	"github.com/storybot/storybot/llm/mock"
	"github.com/storybot/storybot/prompts"
	"github.com/storybot/storybot/summarize"
)

// A Service on the mock model: the model's summary when it answers, the
// extractive one with the reason when it does not.
func ExampleService_Summarize() {
	srv := httptest.NewServer(mock.NewServer(mock.Options{}))
	defer srv.Close()
	set, err := prompts.Load("") // PROMPTS_DIR in storybot
	if err != nil {
		panic(err)
	}
	in := summarize.Input{
		ID:    "abc1234",
		Title: "Homes approved",
		Body:  "The council approved 300 homes on Monday. Residents objected. Work starts in spring.",
	}
	for _, model := range []string{"mock", "mock-error-500"} {
		c, err := llm.New(llm.Config{BaseURL: srv.URL + "/v1", Model: model, Timeout: 5 * time.Second})
		if err != nil {
			panic(err)
		}
		svc := summarize.NewService(summarize.Config{
			Prompts: set,
			Model:   c, // nil: the model is off
			Timeout: c.Config().Timeout,
			Log:     slog.New(slog.DiscardHandler),
			// Cache: a *sqlite.DB, to make a repeated request free.
		})
		s, err := svc.Summarize(context.Background(), in, summarize.Brief, summarize.Options{})
		if err != nil {
			panic(err)
		}
		if s.Fallback != nil {
			fmt.Printf("%s\n  (%s: %s)\n", s.Text, s.Engine, s.Fallback.Code)
			continue
		}
		fmt.Printf("%s\n  (%s)\n", s.Text, s.Engine)
	}
	// Output:
	// The council approved 300 homes on Monday. Residents objected. Work starts in spring.
	//   (mock)
	// The council approved 300 homes on Monday. Residents objected.
	//   (extractive: server-error)
}

// The llm client streams, so the Service can show drafts (Options.Draft).
var _ llm.Streamer = (*llm.Client)(nil)
