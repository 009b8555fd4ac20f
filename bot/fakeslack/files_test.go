package fakeslack_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/slack-go/slack"
)

func TestUploadFileIntoThread(t *testing.T) {
	fake, api := newWorkspace(t)
	_, parent, _ := api.PostMessage(sellerChannel, slack.MsgOptionText("card", false))
	report := "case,state\nSFP-1001,open\n"

	sum, err := api.UploadFile(slack.UploadFileParameters{
		Filename: "report.csv", FileSize: len(report), Content: report, Title: "Weekly report",
		Channel: sellerChannel, ThreadTimestamp: parent, InitialComment: "This week",
	})
	if err != nil {
		t.Fatalf("UploadFile: %v", err)
	}
	if sum.Title != "Weekly report" || !strings.HasPrefix(sum.ID, "F") {
		t.Errorf("summary = %+v", sum)
	}
	files := fake.Files()
	if len(files) != 1 || string(files[0].Content) != report || !files[0].Uploaded || len(files[0].Shares) != 1 {
		t.Fatalf("Files = %+v", files)
	}
	share := files[0].Shares[0]
	if share.Channel != sellerChannel || share.ThreadTS != parent {
		t.Errorf("shared to %+v, want the thread of %s", share, parent)
	}
	msg, _ := fake.Message(sellerChannel, share.TS)
	if msg.Text != "This week" || len(msg.Files) != 1 || msg.Files[0] != sum.ID || !msg.IsReply() {
		t.Errorf("file message = %+v", msg)
	}

	info, _, _, err := api.GetFileInfo(sum.ID, 0, 0)
	if err != nil || info.Name != "report.csv" || info.Size != len(report) {
		t.Fatalf("files.info = %+v, %v", info, err)
	}
	var buf bytes.Buffer
	if err := api.GetFile(info.URLPrivateDownload, &buf); err != nil || buf.String() != report {
		t.Errorf("download = %q, %v", buf.String(), err)
	}
}

func TestCompleteUploadNeedsTheBytes(t *testing.T) {
	_, api := newWorkspace(t)
	u, err := api.GetUploadURLExternalContext(testContext(t), slack.GetUploadURLExternalParameters{FileName: "a.txt", FileSize: 3})
	if err != nil {
		t.Fatal(err)
	}
	_, err = api.CompleteUploadExternalContext(testContext(t), slack.CompleteUploadExternalParameters{Files: []slack.FileSummary{{ID: u.FileID}}, Channel: sellerChannel})
	if slackError(err) != "file_not_found" {
		t.Errorf("completing before the upload: %v", err)
	}
}
