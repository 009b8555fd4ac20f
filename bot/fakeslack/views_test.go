package fakeslack_test

import (
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/sfpdesk/sfpdesk/bot/fakeslack"
)

func claimModal(title string) slack.ModalViewRequest {
	return slack.ModalViewRequest{
		Type:            slack.VTModal,
		Title:           slack.NewTextBlockObject(slack.PlainTextType, title, false, false),
		Submit:          slack.NewTextBlockObject(slack.PlainTextType, "File", false, false),
		CallbackID:      "claim_file",
		PrivateMetadata: "SFP-1001",
		Blocks: slack.Blocks{BlockSet: []slack.Block{
			slack.NewInputBlock("amount", slack.NewTextBlockObject(slack.PlainTextType, "Amount", false, false), nil,
				slack.NewPlainTextInputBlockElement(nil, "amount")),
		}},
	}
}

func TestViewsOpenPushUpdate(t *testing.T) {
	clock := newClock()
	fake, api := newWorkspace(t, fakeslack.WithClock(clock.Now))

	trigger := fake.NewTriggerID(alice)
	opened, err := api.OpenView(trigger, claimModal("Reimbursement claim"))
	if err != nil {
		t.Fatalf("OpenView: %v", err)
	}
	v := opened.View
	if !strings.HasPrefix(v.ID, "V") || v.CallbackID != "claim_file" || v.PrivateMetadata != "SFP-1001" || v.RootViewID != v.ID || v.Hash == "" {
		t.Errorf("opened view = %+v", v)
	}
	if _, err := api.OpenView(trigger, claimModal("Again")); slackError(err) != "exchanged_trigger_id" {
		t.Errorf("reused trigger: %v", err)
	}
	late := fake.NewTriggerID(alice)
	clock.Advance(3*time.Second + time.Millisecond)
	if _, err := api.OpenView(late, claimModal("Late")); slackError(err) != "expired_trigger_id" {
		t.Errorf("trigger after 3 s: %v", err)
	}
	if _, err := api.OpenView("123.456.abc", claimModal("Forged")); slackError(err) != "invalid_trigger_id" {
		t.Errorf("unknown trigger: %v", err)
	}
	if _, err := api.OpenView(fake.NewTriggerID(alice), claimModal("A title much longer than Slack allows")); slackError(err) != "invalid_arguments" {
		t.Errorf("long title: %v", err)
	}

	pushed, err := api.PushView(fake.NewTriggerID(alice), claimModal("Carrier claim"))
	if err != nil {
		t.Fatalf("PushView: %v", err)
	}
	if pushed.View.RootViewID != v.ID || pushed.View.PreviousViewID != v.ID {
		t.Errorf("pushed view root %q previous %q, want %q", pushed.View.RootViewID, pushed.View.PreviousViewID, v.ID)
	}
	if _, err := api.PushView(fake.NewTriggerID(alice), claimModal("Third")); err != nil {
		t.Fatalf("third view: %v", err)
	}
	if _, err := api.PushView(fake.NewTriggerID(alice), claimModal("Fourth")); slackError(err) != "push_limit_reached" {
		t.Errorf("fourth view: %v", err)
	}

	updated, err := api.UpdateView(claimModal("Claim filed"), "", v.Hash, v.ID)
	if err != nil {
		t.Fatalf("UpdateView: %v", err)
	}
	if updated.View.ID != v.ID || updated.View.Hash == v.Hash || updated.View.Title.Text != "Claim filed" {
		t.Errorf("updated view = %+v", updated.View)
	}
	if _, err := api.UpdateView(claimModal("Stale"), "", v.Hash, v.ID); slackError(err) != "hash_conflict" {
		t.Errorf("update with stale hash: %v", err)
	}

	var methods []string
	for _, op := range fake.Views() {
		methods = append(methods, op.Method)
	}
	if got := strings.Join(methods, ","); got != "views.open,views.push,views.push,views.update" {
		t.Errorf("view log = %s", got)
	}
	if open := fake.OpenViews(alice); len(open) != 3 || open[0].Title != "Claim filed" {
		t.Errorf("open views = %+v", open)
	}
}

func TestViewsUpdateByExternalIDAndPublish(t *testing.T) {
	fake, api := newWorkspace(t)
	modal := claimModal("Loading")
	modal.ExternalID = "draft-SFP-1001"
	if _, err := api.OpenView(fake.NewTriggerID(bob), modal); err != nil {
		t.Fatal(err)
	}
	modal.Title = slack.NewTextBlockObject(slack.PlainTextType, "Draft ready", false, false)
	if _, err := api.UpdateView(modal, "draft-SFP-1001", "", ""); err != nil {
		t.Fatalf("update by external_id: %v", err)
	}
	if _, err := api.OpenView(fake.NewTriggerID(bob), modal); slackError(err) != "duplicate_external_id" {
		t.Errorf("duplicate external_id: %v", err)
	}

	home := slack.HomeTabViewRequest{Type: slack.VTHomeTab, Blocks: slack.Blocks{BlockSet: []slack.Block{
		slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, "*Queue*", false, false), nil, nil),
	}}}
	first, err := api.PublishView(alice, home, "")
	if err != nil {
		t.Fatalf("PublishView: %v", err)
	}
	second, err := api.PublishView(alice, home, first.View.Hash)
	if err != nil || second.View.ID != first.View.ID {
		t.Errorf("republish: %+v %v", second, err)
	}
	if _, err := api.PublishView(alice, home, first.View.Hash); slackError(err) != "hash_conflict" {
		t.Errorf("publish with stale hash: %v", err)
	}
	if hv, found := fake.HomeView(alice); !found || hv.Type != "home" {
		t.Errorf("HomeView = %+v %v", hv, found)
	}
}

func TestViewSubmissionAnswers(t *testing.T) {
	fake, api := newWorkspace(t)
	open := func() string {
		t.Helper()
		resp, err := api.OpenView(fake.NewTriggerID(alice), claimModal("Claim"))
		if err != nil {
			t.Fatal(err)
		}
		return resp.View.ID
	}
	tests := []struct {
		name     string
		answer   string
		wantOpen int
		wantLast string
	}{
		{"empty answer closes the view", ``, 0, "closed"},
		{"errors keep it open", `{"response_action":"errors","errors":{"amount":"Use 39,90"}}`, 1, "response_action.errors"},
		{"update replaces it", `{"response_action":"update","view":{"type":"modal","title":{"type":"plain_text","text":"Thanks"},"blocks":[]}}`, 1, "response_action.update"},
		{"push adds one", `{"response_action":"push","view":{"type":"modal","title":{"type":"plain_text","text":"More"},"blocks":[]}}`, 2, "response_action.push"},
		{"clear closes all", `{"response_action":"clear"}`, 0, "closed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := open()
			if err := fake.ApplyViewSubmissionAnswer(id, []byte(tt.answer)); err != nil {
				t.Fatal(err)
			}
			if n := len(fake.OpenViews(alice)); n != tt.wantOpen {
				t.Errorf("%d views open, want %d", n, tt.wantOpen)
			}
			log := fake.Views()
			if last := log[len(log)-1]; last.Method != tt.wantLast {
				t.Errorf("last view op = %s, want %s", last.Method, tt.wantLast)
			}
		})
	}
	for _, op := range fake.Views() {
		if op.Method == "response_action.errors" && op.Errors["amount"] != "Use 39,90" {
			t.Errorf("recorded errors = %v", op.Errors)
		}
	}
}
