package llm

import "context"

// Model is the language model storybot asks for summaries and answers.
// *Client satisfies it, as do Limit and the mock.
type Model interface {
	// Complete returns the model's whole answer to req.
	Complete(ctx context.Context, req Request) (Reply, error)
	// Model returns the configured model name; it is part of cache keys.
	Model() string
}

// Streamer is a Model that can also stream its answer; *Client is one.
// onDelta gets each piece of text as it arrives.
type Streamer interface {
	Stream(ctx context.Context, req Request, onDelta func(text string)) (Reply, error)
}
