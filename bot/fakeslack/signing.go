package fakeslack

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"time"
)

// Signature is Slack's v0 request signature for body sent at ts:
// "v0=" + hex(HMAC-SHA256(secret, "v0:<unix ts>:<body>")).
func Signature(secret string, ts time.Time, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte("v0:" + strconv.FormatInt(ts.Unix(), 10) + ":"))
	mac.Write(body)
	return "v0=" + hex.EncodeToString(mac.Sum(nil))
}

// SignRequest sets X-Slack-Request-Timestamp and X-Slack-Signature on r
// for body as sent at ts. Pass a ts over five minutes old to test that a
// bot refuses stale requests.
func SignRequest(r *http.Request, secret string, body []byte, ts time.Time) {
	r.Header.Set("X-Slack-Request-Timestamp", strconv.FormatInt(ts.Unix(), 10))
	r.Header.Set("X-Slack-Signature", Signature(secret, ts, body))
}

// NewSignedRequest builds a POST of body to url signed as Slack signs it.
// The timestamp is real time, not the fake's clock: bots check the
// five-minute window against their own wall clock, as slack-go does.
func NewSignedRequest(ctx context.Context, url, secret, contentType string, body []byte) (*http.Request, error) {
	r, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	r.Header.Set("Content-Type", contentType)
	r.Header.Set("User-Agent", "Slackbot 1.0 (+https://api.slack.com/robots)")
	SignRequest(r, secret, body, time.Now())
	return r, nil
}
