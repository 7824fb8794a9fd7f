package service

import (
	"time"

	"github.com/omswatch/omswatch/oms"
	"github.com/omswatch/omswatch/sinks"
)

// projectStatus is what a status card shows of a snapshot.
func projectStatus(s *oms.Snapshot, at time.Time) *sinks.ProjectStatus {
	p := s.Project()
	st := &sinks.ProjectStatus{ID: p.ID, Name: p.Name, Type: p.Type, Status: p.Status, Importance: p.Importance,
		SyncDelay: p.SyncDelay, SyncDelayKnown: p.SyncDelayKnown, Alarming: p.Alarm.Alarming,
		AlarmContent: p.Alarm.Content, Time: at.UTC()}
	for _, step := range p.Steps {
		st.Steps = append(st.Steps, sinks.StepStatus{Name: step.Name, Status: step.Status, Progress: step.Progress})
		for _, e := range step.Errors {
			st.LastError = step.Name + ": " + e.Code + " " + e.Message
		}
	}
	return st
}
