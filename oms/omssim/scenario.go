package omssim

import (
	"encoding/json"
	"time"
)

// Scenario is where the simulator's projects come from: the built-in
// Generator or a replayed recording. Implementations must be safe for
// concurrent use and should be pure functions of the Moment, so the same
// Moment always gives the same bytes.
type Scenario interface {
	// Projects lists the projects that exist at m, in a stable order. The
	// server filters, sorts and pages this list for ListProjects.
	Projects(m Moment) []ProjectInfo
	// Describe returns project id as DescribeProject (Full) or ListProjects
	// (Related, Light) shows it at m; ok is false when the project does not
	// exist at m.
	Describe(m Moment, id string, d Detail) (r Described, ok bool)
	// Time is the simulated wall-clock time of m: what the projects'
	// timestamps are relative to, and the "time" of a recorded observation.
	Time(m Moment) time.Time
}

// Detail says how much of a project Describe returns.
type Detail int

const (
	// Full is the DescribeProject Data object, TransferMapping included.
	Full Detail = iota
	// Related is a ListProjects item with NeedRelatedInfo=true: everything
	// DescribeProject has except TransferMapping, which the real API leaves
	// out of ListProjects.
	Related
	// Light is a ListProjects item with NeedRelatedInfo=false: only the
	// project's own fields (id, name, type, status, labels, owner,
	// importance, times, endpoint types, worker id), none of its steps,
	// connections, worker, configuration or runtime details.
	Light
)

// lightFields are the Data fields of a Light item.
var lightFields = []string{"Id", "Name", "Type", "Status", "Labels", "Owner", "Importance", "GmtCreate",
	"GmtModified", "GmtStart", "GmtFinish", "DestConnId", "IsMerging", "IsModifying", "IsSubProject",
	"SourceEndpointType", "SinkEndpointType", "WorkerGradeId"}

// ProjectInfo is what ListProjects filters and sorts on. It mirrors fields of
// the project's Data object so the server need not decode every project.
type ProjectInfo struct {
	ID                 string
	Name               string
	Type               string // MIGRATION or SYNC
	Status             string
	LabelIDs           []string
	SourceEndpointType string
	SinkEndpointType   string
	GmtCreate          string // "2006-01-02T15:04:05", sorts as text
	GmtModified        string
	Alarming           bool // AlarmStats.Alarming, for the RUNNING_ALARMING filter
	IsSubProject       bool
}

// Described is one project as Describe returns it.
type Described struct {
	// Data is the Data object in Alibaba Cloud's PascalCase spelling.
	Data json.RawMessage
	// Failure, when not nil, is a recorded Success:false answer to serve
	// instead of Data (a recording may hold failed polls).
	Failure *BusinessError
}

// BusinessError is an OMS answer with Success:false: HTTP 200, old-style
// Code/Message/Advice and a new-style ErrorDetail.
type BusinessError struct {
	Code    string
	Message string
	Advice  string
	Detail  ErrorDetail
}

// ErrorDetail is the new-style error object OMS puts in the envelope and in
// Steps[].ExtraInfo.ErrorDetails. The simulator fills these five fields and
// writes the rest of the documented field set (Mcms keys and contexts,
// ExtraContext, UpstreamErrorDetail) empty.
type ErrorDetail struct {
	Code     string
	Level    string // FATAL, ERROR, WARNING or CRITICAL
	Message  string
	Reason   string
	Proposal string
}

// Codes of business errors the simulator returns. The oms package classifies
// them; keep the strings in step with it.
const (
	// CodeProjectNotFound is the old-style Code of a DescribeProject for an
	// id that does not exist.
	CodeProjectNotFound = "PROJECT_NOT_FOUND_ERROR"
	// DetailCodeProjectNotFound is its ErrorDetail.Code (synthetic: no real
	// new-style code for it is published).
	DetailCodeProjectNotFound = "CM-PROJECT000404"
	// CodeInnerError is the old-style Code of an unspecified OMS failure.
	CodeInnerError = "INNER_ERROR"
	// DetailCodeInnerError is the ErrorDetail.Code of the API page's example.
	DetailCodeInnerError = "CM-RESOAT1111"
	// CodeParamError is on-premise OMS's Code for a bad request parameter.
	CodeParamError = "PARAM_ERROR"
)

// notFound is the business error for an unknown project id.
func notFound(id string) *BusinessError {
	return &BusinessError{
		Code:    CodeProjectNotFound,
		Message: "The project " + id + " does not exist.",
		Advice:  "Check the project ID, or whether the project has been deleted.",
		Detail: ErrorDetail{
			Code:     DetailCodeProjectNotFound,
			Level:    "ERROR",
			Message:  "The project " + id + " does not exist.",
			Reason:   "No project with this ID is visible to the caller.",
			Proposal: "Check the project ID.",
		},
	}
}

// innerError is the business error of the "business" fault.
func innerError(code string) *BusinessError {
	if code == "" {
		code = CodeInnerError
	}
	return &BusinessError{
		Code:    code,
		Message: "A system error occurred.",
		Advice:  "Contact the administrator.",
		Detail: ErrorDetail{
			Code:     DetailCodeInnerError,
			Level:    "ERROR",
			Message:  "A system error occurred.",
			Reason:   "An internal OMS service did not answer.",
			Proposal: "Contact the administrator.",
		},
	}
}

// errorDetailJSON is ErrorDetail with the full field set of the API's example.
type errorDetailJSON struct {
	Code                string
	Level               string
	Message             string
	ExtraContext        map[string]any
	MessageMcmsKey      *string
	MessageMcmsContext  map[string]any
	Reason              string
	ReasonMcmsKey       *string
	ReasonMcmsContext   map[string]any
	Proposal            string
	ProposalMcmsKey     *string
	ProposalMcmsContext map[string]any
	UpstreamErrorDetail any
}

func (d ErrorDetail) full() errorDetailJSON {
	return errorDetailJSON{
		Code: d.Code, Level: d.Level, Message: d.Message, Reason: d.Reason, Proposal: d.Proposal,
		ExtraContext: map[string]any{}, MessageMcmsContext: map[string]any{},
		ReasonMcmsContext: map[string]any{}, ProposalMcmsContext: map[string]any{},
	}
}
