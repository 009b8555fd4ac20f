package fakeslack

import (
	"encoding/json"
	"fmt"
	"unicode/utf8"
)

// Block Kit limits from Slack's reference. The fake enforces the ones a bot
// most often breaks (long texts, too many blocks, duplicate IDs) and
// answers as Slack does, invalid_blocks with json-pointer messages, so that
// cutting to limits is tested here rather than found in production.
const (
	maxBlockID         = 255
	maxSectionText     = 3000
	maxSectionField    = 2000
	maxSectionFields   = 10
	maxHeaderText      = 150
	maxContextElements = 10
	maxActionsElements = 25
	maxButtonText      = 75
	maxActionID        = 255
	maxButtonValue     = 2000
	maxButtonURL       = 3000
	maxInputLabel      = 2000
	maxErrorsReported  = 10
)

type blockChecker struct {
	errs []string
}

func (c *blockChecker) errorf(ptr, format string, args ...any) {
	if len(c.errs) < maxErrorsReported {
		c.errs = append(c.errs, fmt.Sprintf("[ERROR] "+format+" [json-pointer:%s]", append(args, ptr)...))
	}
}

// validateBlocks checks a blocks array; ptr is its JSON pointer in the
// request ("/blocks", "/view/blocks").
func validateBlocks(raw json.RawMessage, maxBlocks int, ptr string) (code string, messages []string) {
	var blocks []map[string]any
	if err := json.Unmarshal(raw, &blocks); err != nil {
		return "invalid_blocks_format", []string{"[ERROR] blocks must be a JSON array of objects"}
	}
	c := &blockChecker{}
	if len(blocks) > maxBlocks {
		c.errorf(ptr, "no more than %d items allowed", maxBlocks)
	}
	ids := map[string]bool{}
	for i, b := range blocks {
		c.block(b, fmt.Sprintf("%s/%d", ptr, i), ids)
	}
	if len(c.errs) > 0 {
		return "invalid_blocks", c.errs
	}
	return "", nil
}

func (c *blockChecker) block(b map[string]any, ptr string, ids map[string]bool) {
	typ, _ := b["type"].(string)
	if typ == "" {
		c.errorf(ptr, "missing required field: type")
		return
	}
	if id, present := b["block_id"]; present {
		s, _ := id.(string)
		switch {
		case utf8.RuneCountInString(s) > maxBlockID:
			c.errorf(ptr+"/block_id", "must be less than %d characters", maxBlockID+1)
		case ids[s]:
			c.errorf(ptr+"/block_id", "duplicate block_id")
		}
		ids[s] = true
	}
	switch typ {
	case "section":
		text, hasText := b["text"]
		fields, hasFields := b["fields"].([]any)
		if !hasText && !hasFields {
			c.errorf(ptr, "must provide either text or fields")
		}
		if hasText {
			c.text(text, ptr+"/text", maxSectionText, false)
		}
		if len(fields) > maxSectionFields {
			c.errorf(ptr+"/fields", "no more than %d items allowed", maxSectionFields)
		}
		for i, f := range fields {
			c.text(f, fmt.Sprintf("%s/fields/%d", ptr, i), maxSectionField, false)
		}
		if acc, ok := b["accessory"].(map[string]any); ok {
			c.element(acc, ptr+"/accessory", nil)
		}
	case "header":
		c.text(b["text"], ptr+"/text", maxHeaderText, true)
	case "context":
		els, _ := b["elements"].([]any)
		if len(els) == 0 || len(els) > maxContextElements {
			c.errorf(ptr+"/elements", "must have between 1 and %d items", maxContextElements)
		}
	case "actions":
		els, _ := b["elements"].([]any)
		if len(els) == 0 || len(els) > maxActionsElements {
			c.errorf(ptr+"/elements", "must have between 1 and %d items", maxActionsElements)
		}
		actionIDs := map[string]bool{}
		for i, e := range els {
			if m, ok := e.(map[string]any); ok {
				c.element(m, fmt.Sprintf("%s/elements/%d", ptr, i), actionIDs)
			}
		}
	case "input":
		c.text(b["label"], ptr+"/label", maxInputLabel, true)
		if _, ok := b["element"].(map[string]any); !ok {
			c.errorf(ptr+"/element", "missing required field: element")
		}
	}
}

// text checks a text object.
func (c *blockChecker) text(v any, ptr string, maxRunes int, plainOnly bool) {
	t, ok := v.(map[string]any)
	if !ok {
		c.errorf(ptr, "must be a text object")
		return
	}
	typ, _ := t["type"].(string)
	switch {
	case typ == "plain_text":
	case typ == "mrkdwn" && !plainOnly:
	case plainOnly:
		c.errorf(ptr+"/type", "must be plain_text")
		return
	default:
		c.errorf(ptr+"/type", "must be plain_text or mrkdwn")
		return
	}
	s, _ := t["text"].(string)
	n := utf8.RuneCountInString(s)
	switch {
	case n == 0:
		c.errorf(ptr+"/text", "must be more than 0 characters")
	case n > maxRunes:
		c.errorf(ptr+"/text", "must be less than %d characters", maxRunes+1)
	}
}

// element checks the interactive elements whose limits matter most.
func (c *blockChecker) element(e map[string]any, ptr string, actionIDs map[string]bool) {
	if id, ok := e["action_id"].(string); ok {
		if utf8.RuneCountInString(id) > maxActionID {
			c.errorf(ptr+"/action_id", "must be less than %d characters", maxActionID+1)
		}
		if actionIDs != nil {
			if actionIDs[id] {
				c.errorf(ptr+"/action_id", "duplicate action_id")
			}
			actionIDs[id] = true
		}
	}
	if e["type"] != "button" {
		return
	}
	c.text(e["text"], ptr+"/text", maxButtonText, true)
	if v, ok := e["value"].(string); ok && utf8.RuneCountInString(v) > maxButtonValue {
		c.errorf(ptr+"/value", "must be less than %d characters", maxButtonValue+1)
	}
	if u, ok := e["url"].(string); ok && utf8.RuneCountInString(u) > maxButtonURL {
		c.errorf(ptr+"/url", "must be less than %d characters", maxButtonURL+1)
	}
	if st, present := e["style"]; present && st != "primary" && st != "danger" {
		c.errorf(ptr+"/style", "must be one of primary, danger")
	}
}
