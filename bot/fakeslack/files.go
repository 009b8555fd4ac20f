package fakeslack

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"path"
	"slices"
	"sort"
	"strings"
	"time"
)

type file struct {
	id, name, title, altTxt string
	user                    string
	content                 []byte
	uploaded                bool
	shares                  []fileShare
	created                 time.Time
}

type fileShare struct {
	channel, ts, threadTS string
}

// File is an uploaded file and where it was shared.
type File struct {
	ID       string
	Name     string
	Title    string
	AltTxt   string
	Content  []byte
	Uploaded bool // the bytes reached the upload URL
	// Shares lists each message the file was shared with, in order.
	Shares []FileShare
	Time   time.Time
}

// FileShare is one message a file was shared with.
type FileShare struct {
	Channel  string
	TS       string // the message carrying the file
	ThreadTS string // set when shared into a thread
}

// Files returns every file, in upload order.
func (s *Server) Files() []File {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []File
	for _, f := range s.files {
		pf := File{
			ID: f.id, Name: f.name, Title: f.title, AltTxt: f.altTxt,
			Content: bytes.Clone(f.content), Uploaded: f.uploaded, Time: f.created,
		}
		for _, sh := range f.shares {
			pf.Shares = append(pf.Shares, FileShare{Channel: sh.channel, TS: sh.ts, ThreadTS: sh.threadTS})
		}
		out = append(out, pf)
	}
	// IDs come from a counter, so their order is upload order.
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// filesGetUploadURLExternal is step one of Slack's upload: the fake hands
// out a URL on itself, since slack-go only sends the token to the API host.
func (s *Server) filesGetUploadURLExternal(req *request) result {
	name := req.p.str("filename")
	length, valid := req.p.integer("length", 0)
	if name == "" || !valid || length <= 0 {
		return fail("invalid_arguments")
	}
	f := &file{
		id: s.newIDLocked("F"), name: name, title: name, altTxt: req.p.str("alt_txt"),
		user: s.cfg.botUserID, created: req.now,
	}
	s.files[f.id] = f
	token := randomHex(12)
	s.uploads[token] = f.id
	return ok(map[string]any{"upload_url": s.url + "/upload/" + token, "file_id": f.id})
}

// handleUpload is step two: Slack accepts either a multipart form with a
// "file" part (what slack-go sends) or the raw bytes.
func (s *Server) handleUpload(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxUploadBody))
	if err != nil {
		http.Error(w, "file too large", http.StatusRequestEntityTooLarge)
		return
	}
	content := body
	if ct, ctParams, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct == "multipart/form-data" {
		content, err = multipartFile(body, ctParams["boundary"])
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
	}
	s.mu.Lock()
	f := s.files[s.uploads[r.PathValue("token")]]
	if f != nil {
		f.content = content
		f.uploaded = true
		s.bumpLocked()
	}
	s.mu.Unlock()
	if f == nil {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintf(w, "OK - %d", len(content))
}

func multipartFile(body []byte, boundary string) ([]byte, error) {
	mr := multipart.NewReader(bytes.NewReader(body), boundary)
	for {
		part, err := mr.NextPart()
		if err != nil {
			return nil, fmt.Errorf("no file part in upload: %w", err)
		}
		if part.FormName() == "file" {
			return io.ReadAll(part)
		}
	}
}

// filesCompleteUploadExternal is step three: the files become one message
// in each channel named, in a thread when thread_ts is given.
func (s *Server) filesCompleteUploadExternal(req *request) result {
	var summaries []struct {
		ID    string `json:"id"`
		Title string `json:"title"`
	}
	if err := json.Unmarshal(req.p.raw("files"), &summaries); err != nil || len(summaries) == 0 {
		return fail("invalid_arguments")
	}
	var files []*file
	for _, sum := range summaries {
		f := s.files[sum.ID]
		// A file whose bytes never arrived cannot be completed; Slack
		// answers as if it did not exist.
		if f == nil || !f.uploaded {
			return fail("file_not_found")
		}
		files = append(files, f)
	}
	var targets []*channel
	for _, id := range append(req.p.list("channel_id"), req.p.list("channels")...) {
		ch, code := s.postTargetLocked(id)
		if code != "" {
			return fail(code)
		}
		if code := s.writableLocked(ch); code != "" {
			return fail(code)
		}
		targets = append(targets, ch)
	}
	var blocks json.RawMessage
	if b := req.p.raw("blocks"); b != nil {
		if code, msgs := validateBlocks(b, maxMessageBlocks, "/blocks"); code != "" {
			return fail(code, msgs...)
		}
		blocks = compactJSON(b)
	}
	out := make([]map[string]any, 0, len(files))
	for i, f := range files {
		if summaries[i].Title != "" {
			f.title = summaries[i].Title
		}
		out = append(out, map[string]any{"id": f.id, "title": f.title})
	}
	for _, ch := range targets {
		m := &message{
			user: s.cfg.botUserID, botID: s.cfg.botID, text: req.p.str("initial_comment"),
			blocks: blocks, threadTS: req.p.str("thread_ts"),
		}
		for _, f := range files {
			m.files = append(m.files, f.id)
		}
		s.addMessageLocked(ch, m)
		for _, f := range files {
			f.shares = append(f.shares, fileShare{channel: ch.id, ts: m.ts, threadTS: m.threadTS})
		}
	}
	s.bumpLocked()
	return ok(map[string]any{"files": out})
}

func (s *Server) filesInfo(req *request) result {
	f := s.files[req.p.str("file")]
	if f == nil {
		return fail("file_not_found")
	}
	return ok(map[string]any{"file": s.fileJSON(f), "comments": []any{}})
}

func (s *Server) fileJSON(f *file) map[string]any {
	ext := strings.TrimPrefix(path.Ext(f.name), ".")
	mimetype := mime.TypeByExtension(path.Ext(f.name))
	if mimetype == "" {
		mimetype = "application/octet-stream"
	}
	channels := []string{}
	for _, sh := range f.shares {
		if !slices.Contains(channels, sh.channel) {
			channels = append(channels, sh.channel)
		}
	}
	private := s.url + "/files/" + f.id + "/" + f.name
	return map[string]any{
		"id":                   f.id,
		"created":              f.created.Unix(),
		"timestamp":            f.created.Unix(),
		"name":                 f.name,
		"title":                f.title,
		"mimetype":             mimetype,
		"filetype":             ext,
		"pretty_type":          strings.ToUpper(ext),
		"user":                 f.user,
		"mode":                 "hosted",
		"editable":             false,
		"is_external":          false,
		"external_type":        "",
		"size":                 len(f.content),
		"url_private":          private,
		"url_private_download": private + "?download=1",
		"permalink":            fmt.Sprintf("https://%s.slack.com/files/%s/%s/%s", s.cfg.teamDomain, f.user, f.id, f.name),
		"channels":             channels,
		"alt_txt":              f.altTxt,
	}
}

// handleFileDownload serves url_private, which Slack guards with the bot
// token.
func (s *Server) handleFileDownload(w http.ResponseWriter, r *http.Request) {
	if !strings.HasPrefix(bearer(r), "xoxb-") {
		http.Error(w, "not authed", http.StatusForbidden)
		return
	}
	s.mu.Lock()
	f := s.files[r.PathValue("id")]
	var content []byte
	if f != nil {
		content = bytes.Clone(f.content)
	}
	s.mu.Unlock()
	if f == nil {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	_, _ = w.Write(content)
}
