// Package openaitest is an OpenAI-compatible chat server for tests: it
// records every request it receives and answers from a script, streaming
// (server-sent events) or not, with the errors real servers send.
//
// # Basics
//
//	srv := openaitest.New()
//	defer srv.Close()
//	srv.Push(openaitest.Reply{Status: 429}, openaitest.Text("Bonjour, oui."))
//	// point the client at srv.BaseURL(); read srv.Requests() afterwards
//
// Replies pushed are used in order, one per request; after them every
// request gets Default.
package openaitest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
)

// Request is one request the server received.
type Request struct {
	Method string
	Path   string
	Header http.Header
	Body   []byte
}

// JSON decodes the body.
func (r Request) JSON() map[string]any {
	var v map[string]any
	_ = json.Unmarshal(r.Body, &v)
	return v
}

// Has reports whether the body has a top-level field.
func (r Request) Has(field string) bool {
	_, ok := r.JSON()[field]
	return ok
}

// Reply is one scripted answer.
type Reply struct {
	// Status other than 0 and 200 answers with an error body:
	// {"error": {"message", "type", "code"}}.
	Status  int
	Message string
	Type    string
	Code    string
	// Raw, when set with a Status, is the error body as is (servers that do
	// not speak OpenAI's error format).
	Raw string
	// Chunks are the pieces of the answer, one event each.
	Chunks []string
	// BreakAfter, when > 0, drops the connection after that many chunks,
	// without the final event.
	BreakAfter int
	// PromptTokens and CompletionTokens are reported when the client asks
	// for usage.
	PromptTokens, CompletionTokens int
	// Before, when set, runs before chunk i is sent: a test holds the
	// stream there to watch what the client did with the chunks so far.
	Before func(i int)
}

// Text is a successful reply streaming text a few words at a time.
func Text(text string) Reply {
	var chunks []string
	words := strings.SplitAfter(text, " ")
	for i := 0; i < len(words); i += 3 {
		chunks = append(chunks, strings.Join(words[i:min(i+3, len(words))], ""))
	}
	return Reply{Chunks: chunks, PromptTokens: 420, CompletionTokens: len(words)}
}

// Server is the fake.
type Server struct {
	*httptest.Server
	// Default answers once the script is used up.
	Default Reply

	mu       sync.Mutex
	script   []Reply
	requests []Request
	// Respond, when set, picks the reply of every request instead of the
	// script.
	Respond func(Request) Reply
}

// New starts a server whose default reply is a short English answer.
func New() *Server {
	s := &Server{Default: Text("Hello, thank you for your question. Yes, it does.")}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// BaseURL is the API base, /v1 included, as OPENAI_BASE_URL takes it.
func (s *Server) BaseURL() string { return s.URL + "/v1" }

// Push adds replies to the script.
func (s *Server) Push(rs ...Reply) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.script = append(s.script, rs...)
}

// Requests returns the requests received so far, in order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Sent returns every body received, joined: what left the client.
func (s *Server) Sent() string {
	var b strings.Builder
	for _, r := range s.Requests() {
		b.Write(r.Body)
		b.WriteByte('\n')
	}
	return b.String()
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	req := Request{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone(), Body: body}
	s.mu.Lock()
	s.requests = append(s.requests, req)
	reply := s.Default
	switch {
	case s.Respond != nil:
		s.mu.Unlock()
		reply = s.Respond(req)
		s.mu.Lock()
	case len(s.script) > 0:
		reply, s.script = s.script[0], s.script[1:]
	}
	s.mu.Unlock()

	if r.URL.Path != "/v1/chat/completions" {
		http.Error(w, `{"error":{"message":"not found","type":"invalid_request_error"}}`, http.StatusNotFound)
		return
	}
	if reply.Status != 0 && reply.Status != http.StatusOK {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(reply.Status)
		if reply.Raw != "" {
			io.WriteString(w, reply.Raw)
			return
		}
		e := map[string]any{"message": reply.Message, "type": reply.Type}
		if reply.Code != "" {
			e["code"] = reply.Code
		} else {
			e["code"] = nil
		}
		json.NewEncoder(w).Encode(map[string]any{"error": e})
		return
	}
	var in struct {
		Model         string `json:"model"`
		Stream        bool   `json:"stream"`
		StreamOptions *struct {
			IncludeUsage bool `json:"include_usage"`
		} `json:"stream_options"`
	}
	_ = json.Unmarshal(body, &in)
	usage := map[string]int{"prompt_tokens": reply.PromptTokens, "completion_tokens": reply.CompletionTokens, "total_tokens": reply.PromptTokens + reply.CompletionTokens}
	if !in.Stream {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{
			"id": "chatcmpl-test", "object": "chat.completion", "created": 1, "model": in.Model,
			"choices": []any{map[string]any{"index": 0, "finish_reason": "stop",
				"message": map[string]any{"role": "assistant", "content": strings.Join(reply.Chunks, "")}}},
			"usage": usage,
		})
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.WriteHeader(http.StatusOK)
	flusher, _ := w.(http.Flusher)
	event := func(v any) {
		b, _ := json.Marshal(v)
		fmt.Fprintf(w, "data: %s\n\n", b)
		if flusher != nil {
			flusher.Flush()
		}
	}
	chunk := func(delta map[string]any, finish any) map[string]any {
		return map[string]any{"id": "chatcmpl-test", "object": "chat.completion.chunk", "created": 1, "model": in.Model,
			"choices": []any{map[string]any{"index": 0, "delta": delta, "finish_reason": finish}}}
	}
	event(chunk(map[string]any{"role": "assistant", "content": ""}, nil))
	for i, c := range reply.Chunks {
		if reply.BreakAfter > 0 && i == reply.BreakAfter {
			// Drop the connection mid-answer, as a crashed server does.
			if hj, ok := w.(http.Hijacker); ok {
				if conn, _, err := hj.Hijack(); err == nil {
					conn.Close()
				}
			}
			return
		}
		if reply.Before != nil {
			reply.Before(i)
		}
		event(chunk(map[string]any{"content": c}, nil))
	}
	event(chunk(map[string]any{}, "stop"))
	if in.StreamOptions != nil && in.StreamOptions.IncludeUsage {
		event(map[string]any{"id": "chatcmpl-test", "object": "chat.completion.chunk", "created": 1, "model": in.Model, "choices": []any{}, "usage": usage})
	}
	io.WriteString(w, "data: [DONE]\n\n")
	if flusher != nil {
		flusher.Flush()
	}
}
