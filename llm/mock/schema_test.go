package mock_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/storybot/storybot/internal/shared"
	"github.com/storybot/storybot/llm"
	"github.com/storybot/storybot/llm/mock"
	"github.com/storybot/storybot/prompts"
)

const specURL = "file:///openai-chat-completions-subset.json"

// listModelsSchema is OpenAI's ListModelsResponse and Model, transcribed from
// the full OpenAPI spec: the shared subset covers chat completions only.
const listModelsSchema = `{
  "type": "object",
  "required": ["object", "data"],
  "properties": {
    "object": {"type": "string", "enum": ["list"]},
    "data": {"type": "array", "items": {
      "type": "object",
      "required": ["id", "object", "created", "owned_by"],
      "properties": {
        "id": {"type": "string"},
        "object": {"type": "string", "enum": ["model"]},
        "created": {"type": "integer"},
        "owned_by": {"type": "string"}
      }
    }}
  }
}`

// schemas compiles the pointers the tests use, once per test binary.
type schemas struct {
	response, chunk, errorBody, request, models *jsonschema.Schema
}

var (
	schemasOnce sync.Once
	compiled    schemas
	compileErr  error
)

func loadSchemas(t *testing.T) schemas {
	t.Helper()
	path := shared.Path(t, "openai-api", "openai-chat-completions-subset.nullable-normalized.json")
	schemasOnce.Do(func() {
		f, err := os.Open(path)
		if err != nil {
			compileErr = err
			return
		}
		defer f.Close()
		doc, err := jsonschema.UnmarshalJSON(f)
		if err != nil {
			compileErr = err
			return
		}
		models, err := jsonschema.UnmarshalJSON(strings.NewReader(listModelsSchema))
		if err != nil {
			compileErr = err
			return
		}
		c := jsonschema.NewCompiler()
		c.DefaultDraft(jsonschema.Draft2020)
		if compileErr = c.AddResource(specURL, doc); compileErr != nil {
			return
		}
		if compileErr = c.AddResource("file:///models.json", models); compileErr != nil {
			return
		}
		get := func(ptr string) *jsonschema.Schema {
			if compileErr != nil {
				return nil
			}
			var s *jsonschema.Schema
			s, compileErr = c.Compile(ptr)
			return s
		}
		compiled = schemas{
			response:  get(specURL + "#/components/schemas/CreateChatCompletionResponse"),
			chunk:     get(specURL + "#/components/schemas/CreateChatCompletionStreamResponse"),
			errorBody: get(specURL + "#/components/schemas/ErrorResponse"),
			request:   get(specURL + "#/components/schemas/CreateChatCompletionRequest"),
			models:    get("file:///models.json"),
		}
	})
	if compileErr != nil {
		t.Fatalf("compile the OpenAI schemas: %v", compileErr)
	}
	return compiled
}

func validate(t *testing.T, s *jsonschema.Schema, what string, body []byte) {
	t.Helper()
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		t.Errorf("%s: got invalid JSON %q: %v", what, body, err)
		return
	}
	if err := s.Validate(v); err != nil {
		t.Errorf("%s: got body %s\nwhich fails the schema: %v", what, body, err)
	}
}

// samplePrompt is a summary request as storybot sends it.
func samplePrompt(t *testing.T) prompts.Prompt {
	t.Helper()
	set, err := prompts.Load("")
	if err != nil {
		t.Fatal(err)
	}
	p, err := set.Summary("Council approves homes", sampleArticle, "brief")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func chatBody(t *testing.T, model string, stream, includeUsage bool) string {
	t.Helper()
	p := samplePrompt(t)
	req := map[string]any{
		"model": model,
		"messages": []map[string]string{
			{"role": "system", "content": p.System},
			{"role": "user", "content": p.User},
		},
		"stream": stream,
	}
	if includeUsage {
		req["stream_options"] = map[string]bool{"include_usage": true}
	}
	b, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func post(t *testing.T, url, body string) *http.Response {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// events returns the data of each SSE event in body and whether the last was [DONE].
func events(t *testing.T, body io.Reader) (data [][]byte, done bool) {
	t.Helper()
	sc := bufio.NewScanner(body)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			continue
		}
		d, ok := strings.CutPrefix(line, "data: ")
		if !ok {
			t.Errorf("got SSE line %q, want one starting with \"data: \"", line)
			continue
		}
		if d == "[DONE]" {
			done = true
			continue
		}
		if done {
			t.Errorf("got event %q after [DONE]", d)
		}
		data = append(data, []byte(d))
	}
	return data, done
}

func TestResponsesMatchOpenAISchema(t *testing.T) {
	s := loadSchemas(t)
	srv := httptest.NewServer(mock.NewServer(mock.Options{}))
	defer srv.Close()
	url := srv.URL + "/v1/chat/completions"

	for _, model := range []string{mock.Model, "gpt-4o-mini", mock.FaultEmpty, mock.FaultHallucinate, mock.FaultSlow + "1ms"} {
		t.Run("complete/"+model, func(t *testing.T) {
			resp := post(t, url, chatBody(t, model, false, false))
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("got status %d, want 200: %s", resp.StatusCode, body)
			}
			validate(t, s.response, "response", body)
		})
		for _, usage := range []bool{false, true} {
			name := "stream/" + model
			if usage {
				name += "/include_usage"
			}
			t.Run(name, func(t *testing.T) {
				resp := post(t, url, chatBody(t, model, true, usage))
				if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
					t.Errorf("got Content-Type %q, want text/event-stream", ct)
				}
				data, done := events(t, resp.Body)
				if !done {
					t.Error("got no data: [DONE], want it last")
				}
				if len(data) < 2 {
					t.Fatalf("got %d chunks, want at least 2", len(data))
				}
				for i, d := range data {
					validate(t, s.chunk, "chunk", d)
					var c map[string]json.RawMessage
					if err := json.Unmarshal(d, &c); err != nil {
						t.Fatal(err)
					}
					u, hasUsage := c["usage"]
					last := i == len(data)-1
					switch {
					case usage && last && (string(c["choices"]) != "[]" || !hasUsage || string(u) == "null"):
						t.Errorf("got last chunk %s, want empty choices and usage", d)
					case usage && !last && string(u) != "null":
						t.Errorf("got chunk %s, want \"usage\": null before the last", d)
					case !usage && hasUsage:
						t.Errorf("got chunk %s, want no usage without include_usage", d)
					}
				}
			})
		}
	}

	errorCases := []struct {
		name, method, path, body string
		status                   int
	}{
		{"500", "POST", "/v1/chat/completions", chatBody(t, mock.FaultError500, false, false), 500},
		{"500 streamed", "POST", "/v1/chat/completions", chatBody(t, mock.FaultError500, true, true), 500},
		{"429", "POST", "/v1/chat/completions", chatBody(t, mock.FaultRateLimit, false, false), 429},
		{"401", "POST", "/v1/chat/completions", chatBody(t, mock.FaultAuth, false, false), 401},
		{"404 model", "POST", "/v1/chat/completions", chatBody(t, mock.FaultNoModel, true, false), 404},
		{"bad slow duration", "POST", "/v1/chat/completions", chatBody(t, "mock-slow-soon", false, false), 404},
		{"unknown route", "GET", "/v1/nothing", "", 404},
		{"no version", "POST", "/chat/completions", chatBody(t, mock.Model, false, false), 404},
		{"wrong method", "GET", "/v1/chat/completions", "", 404},
		{"bad JSON", "POST", "/v1/chat/completions", `{"model": "mock", "messages": [`, 400},
		{"no model", "POST", "/v1/chat/completions", `{"messages": [{"role": "user", "content": "hi"}]}`, 400},
		{"no messages", "POST", "/v1/chat/completions", `{"model": "mock", "messages": []}`, 400},
	}
	for _, tt := range errorCases {
		t.Run("error/"+tt.name, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, srv.URL+tt.path, strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.status {
				t.Errorf("got status %d, want %d", resp.StatusCode, tt.status)
			}
			validate(t, s.errorBody, "error body", body)
		})
	}

	t.Run("models", func(t *testing.T) {
		resp, err := http.Get(srv.URL + "/v1/models")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		validate(t, s.models, "models", body)
		for _, m := range []string{`"mock"`, `"mock-hang"`, `"mock-slow-10s"`} {
			if !bytes.Contains(body, []byte(m)) {
				t.Errorf("got models %s, want %s listed", body, m)
			}
		}
	})
}

// TestClientRequestsMatchOpenAISchema checks what storybot's llm client sends,
// temperature and seed included.
func TestClientRequestsMatchOpenAISchema(t *testing.T) {
	s := loadSchemas(t)
	var (
		mu     sync.Mutex
		bodies [][]byte
	)
	h := mock.NewServer(mock.Options{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		bodies = append(bodies, b)
		mu.Unlock()
		r.Body = io.NopCloser(bytes.NewReader(b))
		h.ServeHTTP(w, r)
	}))
	defer srv.Close()
	c, err := llm.New(llm.Config{BaseURL: srv.URL + "/v1", Model: mock.Model})
	if err != nil {
		t.Fatal(err)
	}
	p := samplePrompt(t)
	req := llm.Request{System: p.System, User: p.User}
	if _, err := c.Complete(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Stream(context.Background(), req, nil); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(bodies) != 2 {
		t.Fatalf("got %d requests, want 2", len(bodies))
	}
	for _, b := range bodies {
		validate(t, s.request, "request", b)
	}
}
