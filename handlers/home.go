package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/sfpdesk/sfpdesk/bot"
	"github.com/sfpdesk/sfpdesk/sfp"
	"github.com/sfpdesk/sfpdesk/store"
)

// The App Home (DESIGN §4.11) is each person's queue: the cases they took,
// the open cases of the sellers whose channels they are in, the claims to
// file and the week's figures.
//
// It travels through the outbox, as one store.OpPublishHome message in the
// person's own lane, built when it is sent: a publish lost in a crash is
// sent again, and only the latest state is ever built. A person's Home is
// queued when they open it and, once they have, whenever a message about a
// case they can see is delivered (a card posted or redrawn, a thread
// reply): at most once a minute, and never twice in the queue.

// homeEvery is how often at most one person's Home is published again.
const homeEvery = time.Minute

// homeSpace and homeKey hold, in the store's seen keys, who has a Home and
// which seller channels it shows (homeViewers).
const (
	homeSpace = "home"
	homeKey   = "viewers"
)

// Limits of one Home. Slack allows 100 blocks in a Home tab; the lists stop
// with "and N more" well before, whatever the data.
const (
	homeMaxBlocks = 100
	homeMaxTaken  = 10
	homeMaxOpen   = 25
	homeMaxClaims = 10
)

// homeViewer is what the store remembers of one person's Home.
type homeViewer struct {
	// Channels are the seller channels the person was in when the Home was
	// last built: a delivery in one of them refreshes it.
	Channels []string `json:"channels,omitempty"`
	// Queued is set while a publish waits in the outbox.
	Queued bool `json:"queued,omitempty"`
	// Next is the earliest time the next publish may go.
	Next time.Time `json:"next"`
}

type homeViewers map[string]*homeViewer

func loadViewers(tx store.Tx) (homeViewers, error) {
	v, ok, err := tx.Seen(homeSpace, homeKey)
	if err != nil || !ok {
		return homeViewers{}, err
	}
	out := homeViewers{}
	if err := json.Unmarshal([]byte(v), &out); err != nil {
		return nil, err
	}
	return out, nil
}

func saveViewers(tx store.Tx, vs homeViewers, now time.Time) error {
	raw, err := json.Marshal(vs)
	if err != nil {
		return err
	}
	return tx.Remember(homeSpace, homeKey, string(raw), now)
}

// queueHome queues a publish of user's Home, unless one is queued: at now
// for a Home just opened, else no sooner than a minute after the last.
func queueHome(tx store.Tx, vs homeViewers, user string, now time.Time, opened bool) (bool, error) {
	v := vs[user]
	if v == nil {
		v = &homeViewer{}
		vs[user] = v
	}
	if v.Queued {
		return false, nil
	}
	at := now
	if !opened && v.Next.After(now) {
		at = v.Next
	}
	v.Queued = true
	_, err := tx.Enqueue(&store.OutboxMessage{Channel: user, Op: store.OpPublishHome, CreatedAt: now, NotBefore: at})
	return true, err
}

// onHomeOpened queues the person's Home: app_home_opened comes each time
// they open the tab, and the view they see is the last one published.
func (a *App) onHomeOpened(ctx context.Context, user string) error {
	if user == "" || user == a.BotUserID {
		return nil
	}
	err := a.Store.Batch(ctx, func(tx store.Tx) error {
		vs, err := loadViewers(tx)
		if err != nil {
			return err
		}
		queued, err := queueHome(tx, vs, user, a.Clock.Now(), true)
		if err != nil || !queued {
			return err
		}
		return saveViewers(tx, vs, a.Clock.Now())
	})
	if err == nil {
		a.notify()
	}
	return err
}

// Delivered is told, inside the transaction that records it, of each
// message the outbox delivered: one about a case queues the Home of
// everyone who can see that case. It is the outbox's Delivered hook.
func (a *App) Delivered(tx store.Tx, m *store.OutboxMessage) error {
	a.init()
	if m.CaseID == "" || m.Op == store.OpPublishHome {
		return nil
	}
	vs, err := loadViewers(tx)
	if err != nil || len(vs) == 0 {
		return err
	}
	var c *sfp.Case
	now := a.Clock.Now()
	changed := false
	for user, v := range vs {
		if v.Queued {
			continue
		}
		sees := a.isAdmin(user) || slices.Contains(v.Channels, m.Channel)
		if !sees {
			if c == nil {
				if c, err = tx.Case(m.CaseID); errors.Is(err, store.ErrNotFound) {
					return nil
				} else if err != nil {
					return err
				}
			}
			sees = slices.Contains(v.Channels, c.Channel) || c.TakenBy == user || (c.Asker != nil && c.Asker.UserID == user)
		}
		if !sees {
			continue
		}
		if _, err := queueHome(tx, vs, user, now, false); err != nil {
			return err
		}
		changed = true
	}
	if !changed {
		return nil
	}
	return saveViewers(tx, vs, now)
}

// publishHome builds user's Home and publishes it. The queued mark is
// cleared first, so that a change committed while the Home is built
// queues the next one.
func (a *App) publishHome(ctx context.Context, user string) error {
	now := a.Clock.Now()
	err := a.Store.Batch(ctx, func(tx store.Tx) error {
		vs, err := loadViewers(tx)
		if err != nil {
			return err
		}
		v := vs[user]
		if v == nil {
			v = &homeViewer{}
			vs[user] = v
		}
		v.Queued, v.Next = false, now.Add(homeEvery)
		return saveViewers(tx, vs, now)
	})
	if err != nil {
		return err
	}
	view, channels, err := a.HomeView(ctx, user)
	if err != nil {
		return err
	}
	if _, err := a.Slack.PublishViewContext(ctx, slack.PublishViewContextRequest{UserID: user, View: view}); err != nil {
		return err
	}
	return a.Store.Batch(ctx, func(tx store.Tx) error {
		vs, err := loadViewers(tx)
		if err != nil {
			return err
		}
		if v := vs[user]; v != nil && !slices.Equal(v.Channels, channels) {
			v.Channels = channels
			return saveViewers(tx, vs, now)
		}
		return nil
	})
}

// homeData is what one person's Home shows.
type homeData struct {
	lang    string
	sellers []*sfp.Seller
	taken   []*sfp.Case
	open    []*sfp.Case
	claims  []*sfp.Case
	figures map[string]sfp.SellerFigures
}

// HomeView builds user's Home and says which seller channels they are in.
func (a *App) HomeView(ctx context.Context, user string) (slack.HomeTabViewRequest, []string, error) {
	a.init()
	d, channels, err := a.homeData(ctx, user)
	if err != nil {
		return slack.HomeTabViewRequest{}, nil, err
	}
	return slack.HomeTabViewRequest{Type: slack.VTHomeTab, Blocks: slack.Blocks{BlockSet: a.homeBlocks(ctx, d)}}, channels, nil
}

func (a *App) homeData(ctx context.Context, user string) (homeData, []string, error) {
	now := a.Clock.Now()
	d := homeData{lang: a.Settings.Lang, figures: map[string]sfp.SellerFigures{}}
	var sellers []*sfp.Seller
	var open []*sfp.Case
	err := a.Store.View(ctx, func(tx store.Tx) error {
		var err error
		if sellers, err = tx.Sellers(); err != nil {
			return err
		}
		open, err = tx.OpenCases("")
		return err
	})
	if err != nil {
		return d, nil, err
	}
	var channels []string
	langs := map[string]int{}
	for _, s := range sellers {
		in := false
		for _, r := range s.Routes {
			if r.Channel != "" && a.isMember(ctx, r.Channel, user) {
				in = true
				if !slices.Contains(channels, r.Channel) {
					channels = append(channels, r.Channel)
				}
			}
		}
		if in && s.Lang != "" {
			langs[s.Lang]++
		}
		if in || a.isAdmin(user) {
			d.sellers = append(d.sellers, s)
		}
	}
	slices.Sort(channels)
	// The person's language is their sellers' (the one most of them speak),
	// else the deployment's.
	best := 0
	for _, l := range []string{bot.LangFR, bot.LangEN} {
		if langs[l] > best {
			d.lang, best = l, langs[l]
		}
	}
	for _, c := range open {
		if !a.isAdmin(user) && !slices.Contains(channels, c.Channel) && c.TakenBy != user && (c.Asker == nil || c.Asker.UserID != user) {
			continue
		}
		switch {
		case c.TakenBy == user:
			d.taken = append(d.taken, c)
		case claimToFile(c, now):
			d.claims = append(d.claims, c)
		default:
			d.open = append(d.open, c)
		}
	}
	for _, l := range [][]*sfp.Case{d.taken, d.open} {
		sort.SliceStable(l, func(i, j int) bool { return dueBefore(l[i], l[j]) })
	}
	sort.SliceStable(d.claims, func(i, j int) bool { return d.claims[i].ClaimBy.Before(*d.claims[j].ClaimBy) })
	from := now.Add(-sfp.FigurePeriods[0])
	err = a.Store.View(ctx, func(tx store.Tx) error {
		for _, s := range d.sellers {
			f := sfp.NewSellerFigures(now, sfp.FigurePeriods[0])
			if err := tx.CasesReceived(s.Name, from, now, func(sum sfp.Summary) bool { f.AddSummary(sum); return true }); err != nil {
				return err
			}
			d.figures[s.Name] = f
		}
		return nil
	})
	return d, channels, err
}

func (a *App) homeBlocks(ctx context.Context, d homeData) []slack.Block {
	l := d.lang
	now := a.Clock.Now()
	md := func(s string) *slack.TextBlockObject {
		return slack.NewTextBlockObject(slack.MarkdownType, s, false, false)
	}
	header := func(s string) slack.Block {
		return slack.NewHeaderBlock(slack.NewTextBlockObject(slack.PlainTextType, bot.Cut(s, 150), true, false))
	}
	note := func(s string) slack.Block { return slack.NewContextBlock("", md(s)) }
	blocks := []slack.Block{header(bot.T(l, "home.title"))}
	if len(d.sellers) == 0 && len(d.taken) == 0 && len(d.open) == 0 {
		return append(blocks, slack.NewSectionBlock(md(bot.T(l, "home.empty")), nil, nil))
	}
	cases := func(title string, cs []*sfp.Case, limit int, none string) {
		blocks = append(blocks, header(bot.T(l, title, len(cs))))
		if len(cs) == 0 {
			blocks = append(blocks, note(bot.T(l, none)))
			return
		}
		for i, c := range cs {
			if i == limit {
				blocks = append(blocks, note(bot.T(l, "home.more", len(cs)-limit)))
				break
			}
			blocks = append(blocks, a.homeCase(ctx, c, l, now)...)
		}
	}
	cases("home.taken", d.taken, homeMaxTaken, "home.taken_none")
	blocks = append(blocks, slack.NewDividerBlock())
	cases("home.open", d.open, homeMaxOpen, "home.open_none")
	if len(d.claims) > 0 {
		blocks = append(blocks, slack.NewDividerBlock(), header(bot.T(l, "home.claims", len(d.claims))))
		total := map[string]sfp.Money{}
		for i, c := range d.claims {
			m := c.Refund.Amount
			t := total[m.Currency]
			t.Currency, t.Minor = m.Currency, t.Minor+m.Minor
			total[m.Currency] = t
			if i >= homeMaxClaims {
				continue
			}
			line := bot.T(l, "home.claim_line", c.ID, bot.Escape(c.Seller), bot.Escape(c.OrderID), m.Format(c.Marketplace), bot.DateTag(*c.ClaimBy, l))
			blocks = append(blocks, slack.NewSectionBlock(md(line), nil, a.cardButton(ctx, c, l)))
		}
		if n := len(d.claims) - homeMaxClaims; n > 0 {
			blocks = append(blocks, note(bot.T(l, "home.claims_more", n)))
		}
		var sums []string
		for _, cur := range slices.Sorted(maps.Keys(total)) {
			sums = append(sums, total[cur].Format(sfp.DefaultMarketplace))
		}
		blocks = append(blocks, note(bot.T(l, "home.at_stake", strings.Join(sums, " · "))))
	}
	if len(d.sellers) > 0 {
		blocks = append(blocks, slack.NewDividerBlock(), header(bot.T(l, "home.figures")))
		var lines []string
		for _, s := range d.sellers {
			lines = append(lines, statsLines(l, s.Name, d.figures[s.Name]))
		}
		blocks = append(blocks, bot.Sections(lines)...)
	}
	blocks = append(blocks, note(bot.T(l, "home.footer", bot.DateTag(now, l))))
	if len(blocks) > homeMaxBlocks {
		// Many sellers' figures: keep the queue, drop the tail.
		blocks = append(blocks[:homeMaxBlocks-1], note(bot.T(l, "home.cut")))
	}
	return blocks
}

// homeCase is one case in a Home list: its line with a link to its card,
// and the card's buttons for what can be done from here.
func (a *App) homeCase(ctx context.Context, c *sfp.Case, l string, now time.Time) []slack.Block {
	line := bot.CaseLine(c, l, now)
	if c.Subject != "" && c.PurgedAt == nil {
		// As on the card: the buyer's contact data masked, the text cut.
		line += "\n" + bot.EscapeCut(a.masker(c)(c.Subject), 200)
	}
	out := []slack.Block{slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, line, false, false), nil, a.cardButton(ctx, c, l))}
	var buttons []slack.BlockElement
	if c.TakenBy == "" {
		buttons = append(buttons, slack.NewButtonBlockElement(bot.ActionTake, c.ID, slack.NewTextBlockObject(slack.PlainTextType, bot.T(l, "btn.take"), false, false)))
	}
	if c.Kind.IsQuestion() {
		buttons = append(buttons,
			slack.NewButtonBlockElement(bot.ActionAnswered, c.ID, slack.NewTextBlockObject(slack.PlainTextType, bot.T(l, "btn.answered"), false, false)),
			slack.NewButtonBlockElement(bot.ActionNoResponse, c.ID, slack.NewTextBlockObject(slack.PlainTextType, bot.T(l, "btn.no_response"), false, false)))
	}
	if len(buttons) > 0 {
		out = append(out, slack.NewActionBlock("home_"+c.ID, buttons...))
	}
	return out
}

// cardButton links to the case's card, when Slack has given it a place.
func (a *App) cardButton(ctx context.Context, c *sfp.Case, l string) *slack.Accessory {
	link := a.permalink(ctx, c.Card.Channel, c.Card.TS)
	if link == "" {
		return nil
	}
	b := slack.NewButtonBlockElement("home_card", c.ID, slack.NewTextBlockObject(slack.PlainTextType, bot.T(l, "home.card"), false, false))
	b.URL = link
	return slack.NewAccessory(b)
}

// homeMaySee holds a click in a Home to what the person may see of the case
// (the card's buttons need no check: only the seller's channel sees them).
func (a *App) homeMaySee(ctx context.Context, user, caseID string) bool {
	var c *sfp.Case
	err := a.Store.View(ctx, func(tx store.Tx) error {
		var err error
		c, err = tx.Case(caseID)
		return err
	})
	return err == nil && a.canSee(ctx, user, c)
}

// DoOutbox carries out the outbox messages that are neither posts nor
// updates: a Home to publish, a weekly chart to upload. It is the outbox's
// Do.
func (a *App) DoOutbox(ctx context.Context, m *store.OutboxMessage) error {
	a.init()
	switch m.Op {
	case store.OpPublishHome:
		return a.publishHome(ctx, m.Channel)
	case store.OpUpload:
		return a.uploadChart(ctx, m)
	}
	return slack.SlackErrorResponse{Err: "not_supported"}
}
