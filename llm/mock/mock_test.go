package mock_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/storybot/storybot/llm/mock"
)

const sampleArticle = `The city council approved 300 new homes on Monday after a four-hour debate.
Residents of Brixton objected to the height of the towers. "We were not asked," said Ana Silva, who leads the tenants' group.

Work starts in spring 2026. The developer, Northgate Ltd., expects to finish by 2029.`

func TestReplyIsExtractive(t *testing.T) {
	p := samplePrompt(t) // brief: at most 45 words
	got := mock.Reply(p.System, p.User)
	want := `The city council approved 300 new homes on Monday after a four-hour debate. Residents of Brixton objected to the height of the towers. "We were not asked," said Ana Silva, who leads the tenants' group. Work starts in spring 2026.`
	if got != want {
		t.Errorf("got reply\n%q\nwant\n%q", got, want)
	}
	if n := len(strings.Fields(got)); n > 45 {
		t.Errorf("got %d words, want at most 45", n)
	}
	// What a faithfulness check looks at: numbers, quotes and capitalized
	// words must all be in the article.
	flat := strings.Join(strings.Fields(sampleArticle), " ")
	for _, tok := range regexp.MustCompile(`\d[\d,.]*|"[^"]+"|\p{Lu}\p{L}+`).FindAllString(got, -1) {
		if !strings.Contains(flat, tok) {
			t.Errorf("got %q in the reply, want only text from the article", tok)
		}
	}
}

func TestReplyCases(t *testing.T) {
	tests := []struct {
		name, system, user, want string
	}{
		{"no article: lead of the message", "", "Hello there. How are you? Fine.", "Hello there. How are you? Fine."},
		{"limit in the system prompt", "Answer in at most 4 words.", "<article>One two three. Four five six seven.</article>", "One two three."},
		{"first sentence too long", "", "at most 3 words <article>\nTitle: T\n\nOne two three four five.\n</article>", "One two three…"},
		{"title line skipped", "", "<ARTICLE>Title: Big news\n\nIt rained. Then it stopped.</ARTICLE>", "It rained. Then it stopped."},
		{"last article wins", "", "<article>Old.</article> and <article>New one.</article>", "New one."},
		{"quotes end sentences", "", `<article>He said "Go." Then left.</article>`, `He said "Go." Then left.`},
		{"abbreviation before lower case", "", "<article>It cost 3 vs. 4 before. Done.</article>", "It cost 3 vs. 4 before. Done."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := mock.Reply(tt.system, tt.user); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func decodeCompletion(t *testing.T, body io.Reader) (model, content, finish string, completionTokens int) {
	t.Helper()
	var r struct {
		Model   string `json:"model"`
		Choices []struct {
			Message struct {
				Content string `json:"content"`
			} `json:"message"`
			FinishReason string `json:"finish_reason"`
		} `json:"choices"`
		Usage struct {
			CompletionTokens int `json:"completion_tokens"`
		} `json:"usage"`
	}
	if err := json.NewDecoder(body).Decode(&r); err != nil {
		t.Fatalf("decode: %v", err)
	}
	if len(r.Choices) != 1 {
		t.Fatalf("got %d choices, want 1", len(r.Choices))
	}
	return r.Model, r.Choices[0].Message.Content, r.Choices[0].FinishReason, r.Usage.CompletionTokens
}

func TestChatFaults(t *testing.T) {
	srv := httptest.NewServer(mock.NewServer(mock.Options{}))
	defer srv.Close()
	url := srv.URL + "/v1/chat/completions"
	normal := mock.Reply(samplePrompt(t).System, samplePrompt(t).User)

	t.Run("normal answer and model mark", func(t *testing.T) {
		for model, wantModel := range map[string]string{mock.Model: "mock", "llama3.2": "mock", mock.FaultSlow + "5ms": "mock-slow-5ms"} {
			resp := post(t, url, chatBody(t, model, false, false))
			gotModel, content, finish, _ := decodeCompletion(t, resp.Body)
			if gotModel != wantModel || content != normal || finish != "stop" {
				t.Errorf("model %s: got %q, %q, %q; want %q, the extractive reply, stop", model, gotModel, content, finish, wantModel)
			}
		}
	})
	t.Run("hallucinate", func(t *testing.T) {
		resp := post(t, url, chatBody(t, mock.FaultHallucinate, false, false))
		_, content, _, _ := decodeCompletion(t, resp.Body)
		if content != normal+" "+mock.Hallucination {
			t.Errorf("got %q, want the normal reply plus %q", content, mock.Hallucination)
		}
		for _, invented := range []string{"Zebulon Quartermaine", "9,731"} {
			if strings.Contains(sampleArticle, invented) || !strings.Contains(content, invented) {
				t.Errorf("got %q, want it to hold %q, which the article does not", content, invented)
			}
		}
	})
	t.Run("empty", func(t *testing.T) {
		resp := post(t, url, chatBody(t, mock.FaultEmpty, false, false))
		if _, content, _, _ := decodeCompletion(t, resp.Body); content != "" {
			t.Errorf("got content %q, want empty", content)
		}
	})
	t.Run("max_tokens cuts with length", func(t *testing.T) {
		body := strings.Replace(chatBody(t, mock.Model, false, false), `"model":`, `"max_tokens":6,"model":`, 1)
		resp := post(t, url, body)
		_, content, finish, tokens := decodeCompletion(t, resp.Body)
		if finish != "length" || tokens > 6 || !strings.HasPrefix(normal, content) {
			t.Errorf("got %q (%d tokens, finish %q), want a prefix of the reply within 6 tokens, finish length", content, tokens, finish)
		}
	})
	t.Run("429 has Retry-After", func(t *testing.T) {
		resp := post(t, url, chatBody(t, mock.FaultRateLimit, false, false))
		if got := resp.Header.Get("Retry-After"); got != "2" || resp.StatusCode != 429 {
			t.Errorf("got status %d, Retry-After %q; want 429, 2", resp.StatusCode, got)
		}
	})
	t.Run("malformed", func(t *testing.T) {
		resp := post(t, url, chatBody(t, mock.FaultMalformed, false, false))
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 || json.Valid(b) {
			t.Errorf("got status %d, body %s; want 200 and invalid JSON", resp.StatusCode, b)
		}
	})
	t.Run("cut stream", func(t *testing.T) {
		resp := post(t, url, chatBody(t, mock.FaultCutStream, true, true))
		data, done := events(t, resp.Body)
		if done || len(data) == 0 {
			t.Errorf("got %d chunks, done=%v; want some chunks and no [DONE]", len(data), done)
		}
		resp = post(t, url, chatBody(t, mock.FaultCutStream, false, false))
		if b, _ := io.ReadAll(resp.Body); json.Valid(b) || len(b) == 0 {
			t.Errorf("got body %s, want half a JSON object", b)
		}
	})
	t.Run("stream error event", func(t *testing.T) {
		resp := post(t, url, chatBody(t, mock.FaultStreamError, true, false))
		data, done := events(t, resp.Body)
		if done || len(data) == 0 || !strings.HasPrefix(string(data[len(data)-1]), `{"error":`) {
			t.Errorf("got %d events ending %s, done=%v; want an error event last, no [DONE]", len(data), data[len(data)-1], done)
		}
	})
}

func TestHangEndsWhenClientLeaves(t *testing.T) {
	srv := httptest.NewServer(mock.NewServer(mock.Options{}))
	defer srv.Close() // blocks until the handler has returned
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "POST", srv.URL+"/v1/chat/completions", strings.NewReader(chatBody(t, mock.FaultHang, false, false)))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err == nil {
		resp.Body.Close()
		t.Fatalf("got status %d, want no reply before the client gave up", resp.StatusCode)
	}
}

func TestAPIKey(t *testing.T) {
	srv := httptest.NewServer(mock.NewServer(mock.Options{APIKey: "sk-right"}))
	defer srv.Close()
	for key, want := range map[string]int{"": 401, "sk-wrong": 401, "sk-right": 200} {
		req, _ := http.NewRequest("POST", srv.URL+"/v1/chat/completions", strings.NewReader(chatBody(t, mock.Model, false, false)))
		if key != "" {
			req.Header.Set("Authorization", "Bearer "+key)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("key %q: got status %d, want %d", key, resp.StatusCode, want)
		}
	}
}

func TestChunkDelayStreamsInPieces(t *testing.T) {
	srv := httptest.NewServer(mock.NewServer(mock.Options{ChunkDelay: time.Millisecond}))
	defer srv.Close()
	resp := post(t, srv.URL+"/v1/chat/completions", chatBody(t, mock.Model, true, false))
	data, done := events(t, resp.Body)
	var text strings.Builder
	for _, d := range data {
		var c struct {
			Choices []struct {
				Delta struct {
					Content string `json:"content"`
				} `json:"delta"`
			} `json:"choices"`
		}
		if err := json.Unmarshal(d, &c); err != nil {
			t.Fatal(err)
		}
		for _, ch := range c.Choices {
			text.WriteString(ch.Delta.Content)
		}
	}
	want := mock.Reply(samplePrompt(t).System, samplePrompt(t).User)
	if !done || text.String() != want {
		t.Errorf("got text %q (done=%v), want %q", text.String(), done, want)
	}
}
