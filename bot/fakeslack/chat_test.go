package fakeslack_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/slack-go/slack"

	"github.com/sfpdesk/sfpdesk/bot/fakeslack"
)

func caseMetadata(caseID, outboxID string) slack.SlackMetadata {
	return slack.SlackMetadata{
		EventType:    "sfpdesk_case",
		EventPayload: map[string]any{"case_id": caseID, "outbox_id": outboxID},
	}
}

func caseCard(text string) []slack.Block {
	return []slack.Block{
		slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, text, false, false), nil, nil),
		slack.NewActionBlock("case_actions",
			slack.NewButtonBlockElement("case_take", "SFP-1001", slack.NewTextBlockObject(slack.PlainTextType, "Take it", false, false))),
	}
}

func TestThreadAndMetadataRoundTrip(t *testing.T) {
	fake, api := newWorkspace(t)

	_, parent, err := api.PostMessage(sellerChannel,
		slack.MsgOptionText("New question from a buyer", false),
		slack.MsgOptionBlocks(caseCard("*SFP-1001* New question")...),
		slack.MsgOptionMetadata(caseMetadata("SFP-1001", "ob-1")),
		slack.MsgOptionDisableLinkUnfurl(),
	)
	if err != nil {
		t.Fatalf("PostMessage: %v", err)
	}
	_, reply, err := api.PostMessage(sellerChannel,
		slack.MsgOptionText("Reply relayed", false),
		slack.MsgOptionTS(parent),
		slack.MsgOptionMetadata(caseMetadata("SFP-1001", "ob-2")),
	)
	if err != nil {
		t.Fatalf("PostMessage reply: %v", err)
	}
	_, broadcast, err := api.PostMessage(sellerChannel,
		slack.MsgOptionText("Answered", false), slack.MsgOptionTS(parent), slack.MsgOptionBroadcast())
	if err != nil {
		t.Fatalf("PostMessage broadcast: %v", err)
	}
	if !(parent < reply && reply < broadcast) {
		t.Fatalf("timestamps not increasing: %s %s %s", parent, reply, broadcast)
	}

	// History: newest first, thread replies hidden unless broadcast, and
	// metadata only when asked for.
	hist, err := api.GetConversationHistory(&slack.GetConversationHistoryParameters{ChannelID: sellerChannel})
	if err != nil {
		t.Fatalf("history: %v", err)
	}
	var got []string
	for _, m := range hist.Messages {
		got = append(got, m.Timestamp)
		if m.Metadata.EventType != "" {
			t.Errorf("metadata returned without include_all_metadata: %+v", m.Metadata)
		}
	}
	if diff := cmp.Diff([]string{broadcast, parent}, got); diff != "" {
		t.Errorf("history ts (-want +got):\n%s", diff)
	}
	if hist.Messages[1].ReplyCount != 2 || hist.Messages[1].ThreadTimestamp != parent {
		t.Errorf("parent: reply_count=%d thread_ts=%q, want 2 and %q", hist.Messages[1].ReplyCount, hist.Messages[1].ThreadTimestamp, parent)
	}
	if hist.Messages[0].SubType != "thread_broadcast" {
		t.Errorf("broadcast subtype = %q", hist.Messages[0].SubType)
	}
	if hist.Messages[1].BotID != fake.BotID() || hist.Messages[1].User != fake.BotUserID() {
		t.Errorf("parent from %q/%q, want the bot", hist.Messages[1].User, hist.Messages[1].BotID)
	}
	if n := len(hist.Messages[1].Blocks.BlockSet); n != 2 {
		t.Errorf("parent has %d blocks, want 2", n)
	}

	hist, err = api.GetConversationHistory(&slack.GetConversationHistoryParameters{ChannelID: sellerChannel, IncludeAllMetadata: true})
	if err != nil {
		t.Fatalf("history with metadata: %v", err)
	}
	if md := hist.Messages[1].Metadata; md.EventType != "sfpdesk_case" || md.EventPayload["outbox_id"] != "ob-1" {
		t.Errorf("parent metadata = %+v", md)
	}

	msgs, hasMore, _, err := api.GetConversationReplies(&slack.GetConversationRepliesParameters{
		ChannelID: sellerChannel, Timestamp: parent, IncludeAllMetadata: true,
	})
	if err != nil {
		t.Fatalf("replies: %v", err)
	}
	if hasMore || len(msgs) != 3 {
		t.Fatalf("replies: %d messages, has_more=%v; want 3, false", len(msgs), hasMore)
	}
	if msgs[1].Timestamp != reply || msgs[1].ThreadTimestamp != parent || msgs[1].Metadata.EventPayload["outbox_id"] != "ob-2" {
		t.Errorf("reply = ts %s thread %s metadata %+v", msgs[1].Timestamp, msgs[1].ThreadTimestamp, msgs[1].Metadata)
	}

	thread := fake.Thread(sellerChannel, parent)
	if len(thread) != 3 || !thread[1].IsReply() || thread[0].IsReply() {
		t.Fatalf("Thread = %+v", thread)
	}
	if thread[0].Metadata == nil || thread[0].Metadata.EventPayload["case_id"] != "SFP-1001" {
		t.Errorf("stored metadata = %+v", thread[0].Metadata)
	}
	if thread[0].UnfurlLinks == nil || *thread[0].UnfurlLinks {
		t.Errorf("unfurl_links = %v, want false", thread[0].UnfurlLinks)
	}
	if !thread[2].ReplyBroadcast || len(fake.Messages(sellerChannel)) != 3 {
		t.Errorf("broadcast not kept: %+v", thread[2])
	}
	var blocks []map[string]any
	if err := json.Unmarshal(thread[0].Blocks, &blocks); err != nil || blocks[1]["block_id"] != "case_actions" {
		t.Errorf("stored blocks = %s (%v)", thread[0].Blocks, err)
	}
}

func TestReplyThreading(t *testing.T) {
	fake, api := newWorkspace(t)
	_, parent, _ := api.PostMessage(sellerChannel, slack.MsgOptionText("card", false))
	_, reply, _ := api.PostMessage(sellerChannel, slack.MsgOptionText("first", false), slack.MsgOptionTS(parent))

	// A reply to a reply joins the parent's thread.
	_, _, msg, err := api.PostMessageWithResponse(sellerChannel, slack.MsgOptionText("second", false), slack.MsgOptionTS(reply))
	if err != nil || msg.ThreadTimestamp != parent {
		t.Errorf("reply to reply: thread_ts %q, err %v; want %q", msg.ThreadTimestamp, err, parent)
	}
	// A reply to a message that does not exist is posted unthreaded.
	_, _, msg, err = api.PostMessageWithResponse(sellerChannel, slack.MsgOptionText("orphan", false), slack.MsgOptionTS("1600000000.000001"))
	if err != nil || msg.ThreadTimestamp != "" {
		t.Errorf("orphan reply: thread_ts %q, err %v; want unthreaded", msg.ThreadTimestamp, err)
	}
	if n := len(fake.Thread(sellerChannel, parent)); n != 3 {
		t.Errorf("thread has %d messages, want 3", n)
	}
}

func TestPostMessageRefusals(t *testing.T) {
	fake, api := newWorkspace(t)
	fake.AddChannel("C0ARCHIVED", "old", false, fake.BotUserID())
	fake.Archive("C0ARCHIVED")
	long := strings.Repeat("é", 40001)
	tooLongSection := []slack.Block{slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, strings.Repeat("x", 3001), false, false), nil, nil)}

	tests := []struct {
		name    string
		channel string
		opts    []slack.MsgOption
		want    string
	}{
		{"unknown channel", "C0NOPE0000", nil, "channel_not_found"},
		{"public channel the bot has not joined", otherChannel, nil, "not_in_channel"},
		{"private channel the bot is not in", privateChannel, nil, "channel_not_found"},
		{"archived channel", "C0ARCHIVED", nil, "is_archived"},
		{"nothing to say", sellerChannel, []slack.MsgOption{slack.MsgOptionText("", false)}, "no_text"},
		{"text over 40,000 characters", sellerChannel, []slack.MsgOption{slack.MsgOptionText(long, false)}, "msg_too_long"},
		{"section text over 3,000 characters", sellerChannel, []slack.MsgOption{slack.MsgOptionBlocks(tooLongSection...)}, "invalid_blocks"},
		{"metadata without event_type", sellerChannel, []slack.MsgOption{
			slack.MsgOptionText("x", false), slack.MsgOptionMetadata(slack.SlackMetadata{EventPayload: map[string]any{"a": 1}}),
		}, "invalid_metadata_format"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := tt.opts
			if opts == nil {
				opts = []slack.MsgOption{slack.MsgOptionText("hello", false)}
			}
			_, _, err := api.PostMessage(tt.channel, opts...)
			if got := slackError(err); got != tt.want {
				t.Errorf("error = %q (%v), want %q", got, err, tt.want)
			}
		})
	}
	if n := len(fake.Messages(sellerChannel)); n != 0 {
		t.Errorf("%d messages stored after refusals", n)
	}
}

func TestInvalidBlocksExplained(t *testing.T) {
	_, api := newWorkspace(t)
	header := slack.NewHeaderBlock(slack.NewTextBlockObject(slack.PlainTextType, strings.Repeat("h", 151), false, false))
	_, _, err := api.PostMessage(sellerChannel, slack.MsgOptionBlocks(header))
	var se slack.SlackErrorResponse
	if !errors.As(err, &se) || se.Err != "invalid_blocks" {
		t.Fatalf("err = %v, want invalid_blocks", err)
	}
	want := []string{"[ERROR] must be less than 151 characters [json-pointer:/blocks/0/text/text]"}
	if diff := cmp.Diff(want, se.ResponseMetadata.Messages); diff != "" {
		t.Errorf("messages (-want +got):\n%s", diff)
	}
}

func TestChatWritePublic(t *testing.T) {
	fake, api := newWorkspace(t, fakeslack.WithChatWritePublic())
	if _, _, err := api.PostMessage(otherChannel, slack.MsgOptionText("hi", false)); err != nil {
		t.Errorf("public channel with chat:write.public: %v", err)
	}
	if _, _, err := api.PostMessage(privateChannel, slack.MsgOptionText("hi", false)); slackError(err) != "channel_not_found" {
		t.Errorf("private channel: %v, want channel_not_found", err)
	}
	if n := len(fake.Messages(otherChannel)); n != 1 {
		t.Errorf("%d messages, want 1", n)
	}
}

func TestPostToUserOpensDM(t *testing.T) {
	fake, api := newWorkspace(t)
	channel, _, err := api.PostMessage(alice, slack.MsgOptionText("Your case was answered", false))
	if err != nil {
		t.Fatalf("PostMessage to user: %v", err)
	}
	if dm := fake.OpenDM(alice); channel != dm || !strings.HasPrefix(dm, "D") {
		t.Errorf("posted in %q, DM is %q", channel, dm)
	}
	if n := len(fake.Messages(channel)); n != 1 {
		t.Errorf("DM has %d messages", n)
	}
}

func TestUpdateMessage(t *testing.T) {
	fake, api := newWorkspace(t)
	_, ts, _ := api.PostMessage(sellerChannel,
		slack.MsgOptionText("open", false),
		slack.MsgOptionBlocks(caseCard("open")...),
		slack.MsgOptionMetadata(caseMetadata("SFP-1", "ob-1")))

	// Text alone keeps the blocks and the metadata.
	if _, _, _, err := api.UpdateMessage(sellerChannel, ts, slack.MsgOptionText("taken by alice", false)); err != nil {
		t.Fatalf("UpdateMessage: %v", err)
	}
	m, _ := fake.Message(sellerChannel, ts)
	if m.Text != "taken by alice" || m.Blocks == nil || m.Metadata == nil || !m.Edited {
		t.Errorf("after text update: %+v", m)
	}
	// An empty blocks list clears them, as on Slack.
	if _, _, _, err := api.UpdateMessage(sellerChannel, ts, slack.MsgOptionText("closed", false), slack.MsgOptionBlocks()); err != nil {
		t.Fatalf("UpdateMessage clearing blocks: %v", err)
	}
	if m, _ = fake.Message(sellerChannel, ts); m.Blocks != nil {
		t.Errorf("blocks not cleared: %s", m.Blocks)
	}
	if got := fake.Updates(); len(got) != 2 || got[1].Text != "closed" || got[0].Metadata == nil {
		t.Errorf("Updates = %+v", got)
	}

	people := fake.PostAsUser(sellerChannel, alice, "my message", "")
	tests := []struct {
		name, channel, ts, want string
	}{
		{"someone else's message", sellerChannel, people, "cant_update_message"},
		{"unknown ts", sellerChannel, "1.000001", "message_not_found"},
		{"unknown channel", "C0NOPE0000", ts, "channel_not_found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, _, err := api.UpdateMessage(tt.channel, tt.ts, slack.MsgOptionText("x", false))
			if got := slackError(err); got != tt.want {
				t.Errorf("error = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestPostEphemeral(t *testing.T) {
	fake, api := newWorkspace(t)
	ts, err := api.PostEphemeral(sellerChannel, alice, slack.MsgOptionText("Only you can see this", false))
	if err != nil || ts == "" {
		t.Fatalf("PostEphemeral: ts %q, %v", ts, err)
	}
	fake.AddUser("U0CAROL001", "carol", "Carol", false)
	if _, err := api.PostEphemeral(sellerChannel, "U0CAROL001", slack.MsgOptionText("x", false)); slackError(err) != "user_not_in_channel" {
		t.Errorf("to a non-member: %v, want user_not_in_channel", err)
	}
	want := []fakeslack.Ephemeral{{Channel: sellerChannel, User: alice, TS: ts, Text: "Only you can see this", Via: "chat.postEphemeral"}}
	if diff := cmp.Diff(want, fake.Ephemerals(), cmpIgnoreTime); diff != "" {
		t.Errorf("Ephemerals (-want +got):\n%s", diff)
	}
	if n := len(fake.Messages(sellerChannel)); n != 0 {
		t.Errorf("ephemeral stored in history: %d messages", n)
	}
}

func TestPermalinkAndDelete(t *testing.T) {
	fake, api := newWorkspace(t)
	_, parent, _ := api.PostMessage(sellerChannel, slack.MsgOptionText("card", false))
	_, reply, _ := api.PostMessage(sellerChannel, slack.MsgOptionText("reply", false), slack.MsgOptionTS(parent))

	link, err := api.GetPermalink(&slack.PermalinkParameters{Channel: sellerChannel, Ts: reply})
	want := fmt.Sprintf("https://sfpdesk-fake.slack.com/archives/%s/p%s?thread_ts=%s&cid=%s",
		sellerChannel, strings.ReplaceAll(reply, ".", ""), parent, sellerChannel)
	if err != nil || link != want {
		t.Errorf("permalink = %q, %v; want %q", link, err, want)
	}

	// A parent with replies leaves a tombstone; a lone reply just goes.
	if _, _, err := api.DeleteMessage(sellerChannel, parent); err != nil {
		t.Fatalf("DeleteMessage parent: %v", err)
	}
	if m, _ := fake.Message(sellerChannel, parent); m.Subtype != "tombstone" {
		t.Errorf("deleted parent = %+v, want a tombstone", m)
	}
	if _, _, err := api.DeleteMessage(sellerChannel, reply); err != nil {
		t.Fatalf("DeleteMessage reply: %v", err)
	}
	if _, found := fake.Message(sellerChannel, reply); found {
		t.Error("deleted reply still stored")
	}
	if _, _, err := api.DeleteMessage(sellerChannel, reply); slackError(err) != "message_not_found" {
		t.Errorf("second delete: %v", err)
	}
}

func TestTimestampsNeverRepeat(t *testing.T) {
	clock := newClock() // frozen: every post sees the same instant
	fake, api := newWorkspace(t, fakeslack.WithClock(clock.Now))
	const posts = 40
	var wg sync.WaitGroup
	errs := make(chan error, posts)
	for i := range posts {
		wg.Go(func() {
			_, _, err := api.PostMessage(sellerChannel, slack.MsgOptionText(fmt.Sprint(i), false))
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	var tss []string
	for _, m := range fake.Messages(sellerChannel) {
		tss = append(tss, m.TS)
	}
	if !slices.IsSorted(tss) || len(slices.Compact(slices.Clone(tss))) != posts {
		t.Errorf("timestamps not strictly increasing: %v", tss)
	}
	if want := fmt.Sprintf("%d.000000", clock.Now().Unix()); tss[0] != want {
		t.Errorf("first ts = %s, want %s (from the clock)", tss[0], want)
	}
}
