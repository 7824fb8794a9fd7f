package incident

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// WriteList writes incidents as a table, one a line: id, state,
// severity, project, title, start and how long it lasted (until now for
// an open one), and who took it.
func WriteList(w io.Writer, list []Incident, now time.Time) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSTATE\tSEVERITY\tPROJECT\tPROBLEM\tSTARTED\tLASTED\tTAKEN BY")
	for _, in := range list {
		by := "-"
		if in.Ack != nil {
			by = in.Ack.By
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", in.ID, in.State, in.Severity, who(in), oneLine(in.Title()),
			in.Started.UTC().Format(time.RFC3339), in.Lasted(now), by)
	}
	return tw.Flush()
}

// WriteDetail writes one incident in full.
func WriteDetail(w io.Writer, in Incident, now time.Time) error {
	var b strings.Builder
	line := func(k, v string) {
		if v != "" {
			fmt.Fprintf(&b, "%-12s %s\n", k+":", v)
		}
	}
	line("incident", in.ID)
	line("project", who(in)+" at "+in.Source)
	line("problem", in.Title())
	line("cause", in.Cause.Key())
	line("state", string(in.State))
	line("severity", string(in.Severity))
	line("started", in.Started.UTC().Format(time.RFC3339))
	line("lasted", in.Lasted(now).String())
	if !in.Open() {
		line("ended", in.Ended.UTC().Format(time.RFC3339)+" ("+in.Reason+")")
	}
	if e := in.Error; e != nil {
		line("error", strings.TrimSpace(e.Code+" "+oneLine(e.Message)))
		line("reason", oneLine(e.Reason))
		line("proposal", oneLine(e.Proposal))
	}
	for _, a := range []struct {
		k   string
		ack *Ack
	}{{"taken by", in.Ack}, {"resolved by", in.Resolver}} {
		if a.ack != nil {
			line(a.k, a.ack.By+" at "+a.ack.At.UTC().Format(time.RFC3339)+comment(a.ack.Comment))
		}
	}
	if in.Relapses > 0 {
		line("relapses", fmt.Sprint(in.Relapses))
	}
	line("runbook", in.Runbook)
	line("fleet", in.Fleet)
	line("events", fmt.Sprintf("%d (omswatch history %s shows them)", len(in.Events), in.Project.ID))
	_, err := io.WriteString(w, b.String())
	return err
}

func who(in Incident) string {
	if in.Project.Name == "" {
		return in.Project.ID
	}
	return oneLine(in.Project.Name) + " (" + in.Project.ID + ")"
}

func comment(c string) string {
	if c == "" {
		return ""
	}
	return ": " + oneLine(c)
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
