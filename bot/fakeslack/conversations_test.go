package fakeslack_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/slack-go/slack"

	"github.com/sfpdesk/sfpdesk/bot/fakeslack"
)

func TestAuthTest(t *testing.T) {
	fake, api := newWorkspace(t, fakeslack.WithTeam("T0ACME0001", "acme"), fakeslack.WithBot("U0SFPDESK1", "B0SFPDESK1", "sfpdesk"))
	got, err := api.AuthTest()
	if err != nil {
		t.Fatalf("AuthTest: %v", err)
	}
	want := slack.AuthTestResponse{
		URL: "https://acme.slack.com/", Team: "sfpdesk fake workspace", User: "sfpdesk",
		TeamID: "T0ACME0001", UserID: "U0SFPDESK1", BotID: "B0SFPDESK1",
	}
	got.Header = nil
	if diff := cmp.Diff(want, *got); diff != "" {
		t.Errorf("auth.test (-want +got):\n%s", diff)
	}

	tests := []struct {
		name, token string
		invalid     bool
		want        string
	}{
		{"no token", "", false, "not_authed"},
		{"user token", "xoxp-1", false, "invalid_auth"},
		{"app-level token on the Web API", "xapp-1", false, "not_allowed_token_type"},
		{"revoked bot token", "xoxb-1", true, "invalid_auth"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake.SetInvalidAuth(tt.invalid)
			defer fake.SetInvalidAuth(false)
			_, err := slack.New(tt.token, slack.OptionAPIURL(fake.APIURL())).AuthTest()
			if got := slackError(err); got != tt.want {
				t.Errorf("error = %q (%v), want %q", got, err, tt.want)
			}
		})
	}
}

func TestHistoryPagination(t *testing.T) {
	clock := newClock()
	fake, api := newWorkspace(t, fakeslack.WithClock(clock.Now))
	var ts []string
	for i := range 5 {
		_, x, err := api.PostMessage(sellerChannel, slack.MsgOptionText(fmt.Sprint(i), false))
		if err != nil {
			t.Fatal(err)
		}
		ts = append(ts, x)
		clock.Advance(time.Second)
	}
	_ = fake

	var pages [][]string
	cursor := ""
	for {
		resp, err := api.GetConversationHistory(&slack.GetConversationHistoryParameters{ChannelID: sellerChannel, Limit: 2, Cursor: cursor})
		if err != nil {
			t.Fatalf("history: %v", err)
		}
		var page []string
		for _, m := range resp.Messages {
			page = append(page, m.Text)
		}
		pages = append(pages, page)
		if resp.HasMore != (resp.ResponseMetaData.NextCursor != "") {
			t.Errorf("has_more %v with cursor %q", resp.HasMore, resp.ResponseMetaData.NextCursor)
		}
		if cursor = resp.ResponseMetaData.NextCursor; cursor == "" {
			break
		}
	}
	if diff := cmp.Diff([][]string{{"4", "3"}, {"2", "1"}, {"0"}}, pages); diff != "" {
		t.Errorf("pages (-want +got):\n%s", diff)
	}

	tests := []struct {
		name      string
		oldest    string
		latest    string
		inclusive bool
		want      []string
	}{
		{"between, exclusive", ts[1], ts[3], false, []string{"2"}},
		{"between, inclusive", ts[1], ts[3], true, []string{"3", "2", "1"}},
		{"newer than", ts[3], "", false, []string{"4"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := api.GetConversationHistory(&slack.GetConversationHistoryParameters{
				ChannelID: sellerChannel, Oldest: tt.oldest, Latest: tt.latest, Inclusive: tt.inclusive,
			})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, m := range resp.Messages {
				got = append(got, m.Text)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}

	_, err := api.GetConversationHistory(&slack.GetConversationHistoryParameters{ChannelID: otherChannel})
	if slackError(err) != "not_in_channel" {
		t.Errorf("history of a channel the bot is not in: %v", err)
	}
	_, err = api.GetConversationHistory(&slack.GetConversationHistoryParameters{ChannelID: sellerChannel, Cursor: "garbage!"})
	if slackError(err) != "invalid_cursor" {
		t.Errorf("bad cursor: %v", err)
	}
}

func TestRepliesPagination(t *testing.T) {
	fake, api := newWorkspace(t)
	_, parent, _ := api.PostMessage(sellerChannel, slack.MsgOptionText("card", false))
	for i := range 4 {
		fake.PostAsUser(sellerChannel, alice, fmt.Sprint("reply ", i), parent)
	}
	var got []string
	cursor := ""
	for {
		msgs, hasMore, next, err := api.GetConversationReplies(&slack.GetConversationRepliesParameters{
			ChannelID: sellerChannel, Timestamp: parent, Limit: 2, Cursor: cursor,
		})
		if err != nil {
			t.Fatalf("replies: %v", err)
		}
		for _, m := range msgs {
			got = append(got, m.Text)
		}
		if !hasMore {
			break
		}
		cursor = next
	}
	want := []string{"card", "reply 0", "reply 1", "reply 2", "reply 3"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("replies (-want +got):\n%s", diff)
	}
	_, _, _, err := api.GetConversationReplies(&slack.GetConversationRepliesParameters{ChannelID: sellerChannel, Timestamp: "1.000002"})
	if slackError(err) != "thread_not_found" {
		t.Errorf("unknown thread: %v", err)
	}
	if thread := fake.Thread(sellerChannel, parent); thread[0].ReplyCount != 4 || thread[1].User != alice {
		t.Errorf("Thread = %+v", thread)
	}
}

func TestConversations(t *testing.T) {
	fake, api := newWorkspace(t)

	ch, err := api.GetConversationInfo(&slack.GetConversationInfoInput{ChannelID: sellerChannel, IncludeNumMembers: true})
	if err != nil {
		t.Fatalf("info: %v", err)
	}
	if ch.Name != "seller-acme" || !ch.IsMember || ch.IsPrivate || !ch.IsChannel || ch.NumMembers != 3 {
		t.Errorf("info = %+v", ch)
	}
	if _, err := api.GetConversationInfo(&slack.GetConversationInfoInput{ChannelID: privateChannel}); slackError(err) != "channel_not_found" {
		t.Errorf("info on a private channel the bot is not in: %v", err)
	}

	members, next, err := api.GetUsersInConversation(&slack.GetUsersInConversationParameters{ChannelID: sellerChannel, Limit: 2})
	if err != nil || len(members) != 2 || next == "" {
		t.Fatalf("members page 1 = %v %q %v", members, next, err)
	}
	rest, next, err := api.GetUsersInConversation(&slack.GetUsersInConversationParameters{ChannelID: sellerChannel, Cursor: next})
	if err != nil || next != "" {
		t.Fatalf("members page 2 = %v %q %v", rest, next, err)
	}
	if diff := cmp.Diff([]string{alice, bob, fake.BotUserID()}, append(members, rest...)); diff != "" {
		t.Errorf("members (-want +got):\n%s", diff)
	}

	joined, warning, _, err := api.JoinConversation(otherChannel)
	if err != nil || !joined.IsMember || warning != "" {
		t.Fatalf("join = %+v %q %v", joined, warning, err)
	}
	if _, warning, _, _ = api.JoinConversation(otherChannel); warning != "already_in_channel" {
		t.Errorf("second join warning = %q", warning)
	}
	if _, _, err := api.PostMessage(otherChannel, slack.MsgOptionText("hello", false)); err != nil {
		t.Errorf("post after join: %v", err)
	}
	if _, _, _, err := api.JoinConversation(privateChannel); slackError(err) != "method_not_supported_for_channel_type" {
		t.Errorf("join private: %v", err)
	}

	dm, noOp, alreadyOpen, err := api.OpenConversation(&slack.OpenConversationParameters{Users: []string{alice}})
	if err != nil || !dm.IsIM || dm.User != alice || noOp || alreadyOpen {
		t.Fatalf("open DM = %+v %v %v %v", dm, noOp, alreadyOpen, err)
	}
	again, _, alreadyOpen, _ := api.OpenConversation(&slack.OpenConversationParameters{Users: []string{alice}})
	if again.ID != dm.ID || !alreadyOpen {
		t.Errorf("reopened DM %q (already_open %v), want %q", again.ID, alreadyOpen, dm.ID)
	}
	if _, _, _, err := api.OpenConversation(&slack.OpenConversationParameters{Users: []string{"U0NOBODY01"}}); slackError(err) != "user_not_found" {
		t.Errorf("open DM with stranger: %v", err)
	}

	u, err := api.GetUserInfo(alice)
	if err != nil || u.Name != "alice" || u.RealName != "Alice Martin" || u.Profile.RealName != "Alice Martin" || u.IsBot {
		t.Errorf("users.info = %+v, %v", u, err)
	}
	if _, err := api.GetUserInfo("U0NOBODY01"); slackError(err) != "user_not_found" {
		t.Errorf("unknown user: %v", err)
	}
	if bot, _ := api.GetUserInfo(fake.BotUserID()); !bot.IsBot {
		t.Error("the bot is not a bot")
	}
}
