package handlers

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/sfpdesk/sfpdesk/bot"
	"github.com/sfpdesk/sfpdesk/sfp"
	"github.com/sfpdesk/sfpdesk/store"
)

var statsSpec = []arg{{name: "seller", kind: argSeller, optional: true}, {name: "period", kind: argPeriod, optional: true}}

// breachSoon is how close a deadline must be for /sfp breaches to list an
// open case that is not late yet (DESIGN §4.6: due within an hour).
const breachSoon = time.Hour

// cmdBreaches lists the open cases that are late or due within the hour,
// soonest deadline first.
func (a *App) cmdBreaches(ctx context.Context, c *call) any {
	soon := a.Clock.Now().Add(breachSoon)
	return a.listOpen(ctx, c, "", func(cs *sfp.Case) bool {
		return cs.DueAt != nil && cs.DueAt.Before(soon)
	}, "lookup.breaches_title", "lookup.breaches_none")
}

// cmdStats shows the response figures as Seller Central counts them, for
// one seller or one line per seller the person may see: admins see every
// seller, others the sellers whose channel they are in.
//
// The figures read the cases received in the period from the store's index
// by seller and received time: their cost follows the period's cases, not
// the store's (docs/PERFORMANCE.md). A busy period can still hold tens of
// thousands of cases, so the answer goes through the command's
// response_url, after the acknowledgement.
func (a *App) cmdStats(ctx context.Context, c *call) any {
	if !c.deferred && c.responseURL != "" {
		a.later(ctx, c, (*App).cmdStats)
		return nil
	}
	period := c.args["period"]
	if period == "" {
		period = "30d"
	}
	days, _ := strconv.Atoi(strings.TrimSuffix(period, "d"))
	now := a.Clock.Now()
	only := c.args["seller"]
	figs := map[string]*sfp.SellerFigures{}
	sellers := map[string]*sfp.Seller{}
	err := a.Store.View(ctx, func(tx store.Tx) error {
		clear(figs)
		clear(sellers)
		all, err := tx.Sellers()
		if err != nil {
			return err
		}
		for _, s := range all {
			if only == "" || s.Name == only {
				sellers[s.Name] = s
				f := sfp.NewSellerFigures(now, time.Duration(days)*24*time.Hour)
				figs[s.Name] = &f
			}
		}
		from := now.Add(-time.Duration(days) * 24 * time.Hour)
		return tx.CasesReceived(only, from, now, func(cs sfp.Summary) bool {
			f, ok := figs[cs.Seller]
			if !ok {
				nf := sfp.NewSellerFigures(now, time.Duration(days)*24*time.Hour)
				f = &nf
				figs[cs.Seller] = f
			}
			f.AddSummary(cs)
			return true
		})
	})
	if err != nil {
		return a.errorReply(c.lang, c.cmd, err)
	}
	var names []string
	for name := range figs {
		if a.canSeeSeller(ctx, c.user, sellers[name]) {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	if len(names) == 0 {
		if only != "" {
			return ephemeral(bot.T(c.lang, "stats.not_found", bot.Escape(only)))
		}
		return ephemeral(bot.T(c.lang, "stats.none"))
	}
	title := bot.T(c.lang, "stats.title", days)
	lines := []string{"*" + title + "*"}
	for i, name := range names {
		if i == maxListed {
			lines = append(lines, bot.T(c.lang, "lookup.more", len(names)-maxListed))
			break
		}
		lines = append(lines, statsLines(c.lang, name, *figs[name]))
	}
	foot := bot.T(c.lang, "stats.footer", bot.DateTag(now, c.lang))
	blocks := append(bot.Sections(lines), slack.NewContextBlock("", slack.NewTextBlockObject(slack.MarkdownType, foot, false, false)))
	return ephemeral(strings.Join(lines, "\n"), blocks...)
}

// statsLines is one seller's figures as Seller Central counts them: the
// headline is the buyer messages' response figures, then the split into
// pre-order and post-order messages, then customer service's questions and
// the A-to-z answers, which Amazon's Contact Response Time leaves out.
func statsLines(lang, seller string, sf sfp.SellerFigures) string {
	rate := func(f sfp.Figures) string {
		r, ok := f.LateRate()
		if !ok {
			return bot.T(lang, "stats.na")
		}
		pct := strconv.FormatFloat(r*100, 'f', 1, 64)
		if lang == bot.LangFR {
			pct = strings.Replace(pct, ".", ",", 1)
		}
		return bot.T(lang, "stats.rate", pct, f.Late, f.Counted)
	}
	avg := func(f sfp.Figures) string {
		if d, ok := f.AverageResponse(); ok {
			return bot.Duration(d, lang)
		}
		return bot.T(lang, "stats.na")
	}
	f := sf.Buyer
	lines := []string{bot.T(lang, "stats.line", bot.Escape(seller), rate(f), avg(f), f.Answered, f.NoResponseNeeded)}
	part := func(f sfp.Figures) string { return bot.T(lang, "stats.part", f.Received, rate(f), avg(f)) }
	lines = append(lines, "   "+bot.T(lang, "stats.buyer", f.Received, part(sf.PreOrder), part(sf.PostOrder)))
	if sf.CS.Received > 0 {
		lines = append(lines, "   "+bot.T(lang, "stats.cs", sf.CS.Received, rate(sf.CS), avg(sf.CS)))
	}
	if sf.AToZ.Received > 0 {
		lines = append(lines, "   "+bot.T(lang, "stats.atoz", sf.AToZ.Received, rate(sf.AToZ), avg(sf.AToZ)))
	}
	return strings.Join(lines, "\n")
}

// canSeeSeller limits a seller's figures to admins and members of one of
// the seller's channels. A seller sfpdesk has no route for (its cases wait
// in triage) is for admins only.
func (a *App) canSeeSeller(ctx context.Context, user string, s *sfp.Seller) bool {
	if a.isAdmin(user) {
		return true
	}
	if s == nil {
		return false
	}
	ctx, cancel := context.WithTimeout(ctx, lookupBudget)
	defer cancel()
	for _, r := range s.Routes {
		if r.Channel != "" && a.isMember(ctx, r.Channel, user) {
			return true
		}
	}
	return false
}
