package oms

import "fmt"

// ProjectPage is one page of a ListProjects response.
type ProjectPage struct {
	// Projects are the canonical snapshots of the page's entries, in the
	// order OMS listed them. ListProjects leaves out TransferMapping and
	// some configs, so they are not comparable with DescribeProject
	// snapshots by digest.
	Projects []*Snapshot
	// PageNumber, PageSize and TotalCount are as OMS sent them (0 if not).
	PageNumber, PageSize, TotalCount int
	// RequestID identifies the request for support.
	RequestID string
}

// DecodeProjectList decodes a ListProjects response in either spelling.
// Errors are as for DecodeEnvelope; Data missing or null is an empty page,
// and Data that is not an array, or an entry that is not an object, is a
// *MalformedError.
func DecodeProjectList(httpStatus int, body []byte) (*ProjectPage, error) {
	env, err := DecodeEnvelope(httpStatus, body)
	if err != nil {
		return nil, err
	}
	page := &ProjectPage{PageNumber: env.PageNumber, PageSize: env.PageSize,
		TotalCount: env.TotalCount, RequestID: env.RequestID}
	if env.Data == nil {
		return page, nil
	}
	entries, ok := env.Data.([]any)
	if !ok {
		return nil, &MalformedError{HTTPStatus: httpStatus, Excerpt: excerpt(body),
			Reason: "ListProjects Data is " + jsonKind(env.Data) + ", not an array"}
	}
	page.Projects = make([]*Snapshot, 0, len(entries))
	for i, e := range entries {
		if nullToNil(e) == nil {
			continue
		}
		// The envelope is ours alone: canonicalise in place.
		s, err := canonicalize(e, walker{inPlace: true})
		if err != nil {
			return nil, fmt.Errorf("ListProjects entry %d: %w", i, err)
		}
		page.Projects = append(page.Projects, s)
	}
	return page, nil
}
