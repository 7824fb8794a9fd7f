package service

import (
	"cmp"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/omswatch/omswatch/event"
)

// WriteDigest writes a digest as text: the fleet by status and phase,
// then one table a section (open incidents, top delays, opened and
// resolved since, quiet projects), each with how many there are when the
// list is cut short.
func WriteDigest(w io.Writer, d event.Digest, now time.Time) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "omswatch digest at %s, since %s\n", minuteStamp(now), minuteStamp(d.Since))
	fmt.Fprintf(tw, "projects: %d%s\n", d.Projects, countList(d.ByStatus))
	fmt.Fprintf(tw, "phases:  %s\n", strings.TrimPrefix(countList(d.ByPhase), ": "))
	if d.Incidents {
		section(tw, "open incidents", len(d.Open), d.OpenCount)
		for _, in := range d.Open {
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\topen %s\t%s\n", in.ID, in.State, in.Severity, projectText(in.Project),
				in.Title, ageText(in.Lasted), takenBy(in))
		}
	} else {
		fmt.Fprintln(tw, "\nincidents: off (incidents.enabled)")
	}
	section(tw, "sync delays of a minute or more", len(d.Delays), len(d.Delays))
	for _, dl := range d.Delays {
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", projectText(dl.Project), ageText(dl.Delay), cmp.Or(dl.ETA, "-"))
	}
	if d.Incidents {
		section(tw, "incidents opened since "+minuteStamp(d.Since), len(d.Opened), d.OpenedCount)
		for _, in := range d.Opened {
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\tat %s\t%s\n", in.ID, in.State, projectText(in.Project), in.Title, minuteStamp(in.Started), takenBy(in))
		}
		section(tw, "incidents resolved since "+minuteStamp(d.Since), len(d.Resolved), d.ResolvedCount)
		for _, in := range d.Resolved {
			fmt.Fprintf(tw, "  %s\t%s\t%s\tat %s\tafter %s\n", in.ID, projectText(in.Project), in.Title, minuteStamp(in.Ended), ageText(in.Lasted))
		}
	}
	section(tw, "quiet for "+ageText(d.QuietAfter)+" or more", len(d.Quiet), d.QuietCount)
	for _, p := range d.Quiet {
		last := "no change in the audit trail"
		if !p.Changed.IsZero() {
			last = "last change " + minuteStamp(p.Changed) + " (" + ageText(now.Sub(p.Changed).String()) + " ago)"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", projectText(p), p.Status, last)
	}
	return tw.Flush()
}

// section writes a section's heading: its title and how many it lists
// of how many there are.
func section(w io.Writer, title string, listed, total int) {
	switch {
	case total == 0:
		fmt.Fprintf(w, "\n%s: none\n", title)
	case listed < total:
		fmt.Fprintf(w, "\n%s: %d (the first %d)\n", title, total, listed)
	default:
		fmt.Fprintf(w, "\n%s: %d\n", title, total)
	}
}

func countList(cs []event.Count) string {
	if len(cs) == 0 {
		return ""
	}
	parts := make([]string, len(cs))
	for i, c := range cs {
		parts[i] = fmt.Sprintf("%d %s", c.Count, c.Name)
	}
	return ": " + strings.Join(parts, ", ")
}

func projectText(p event.DigestProject) string {
	if p.Name == p.ID {
		return p.ID
	}
	return p.Name + " (" + p.ID + ")"
}

func takenBy(in event.DigestIncident) string {
	if in.AckedBy == "" {
		return "not taken"
	}
	return "taken by " + in.AckedBy
}

// ageText writes a duration (Go's, as the digest carries it) to the
// minute, in days from two days up: 26h0m, 7d.
func ageText(s string) string {
	d, err := time.ParseDuration(s)
	if err != nil {
		return s
	}
	if d >= 48*time.Hour {
		return fmt.Sprintf("%dd", int(d/(24*time.Hour)))
	}
	return strings.TrimSuffix(d.Truncate(time.Minute).String(), "0s")
}

// minuteStamp is a time to the minute, in UTC, as people read it.
func minuteStamp(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") }
