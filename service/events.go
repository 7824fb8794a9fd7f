package service

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/omswatch/omswatch/event"
)

// ReadEvents reads the CloudEvents of a file ("-": stdin): one JSON
// object, pretty or not, or a sequence of them (JSON Lines). Its errors
// are the input's (ErrInvalid).
func ReadEvents(name string, stdin io.Reader) ([]event.Event, error) {
	var data []byte
	var err error
	if name == "-" {
		data, err = io.ReadAll(stdin)
	} else {
		data, err = os.ReadFile(name)
	}
	if err != nil {
		return nil, Invalid(fmt.Errorf("read events: %w", err))
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	var out []event.Event
	for n := 1; ; n++ {
		var e event.Event
		err := dec.Decode(&e)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, Invalid(fmt.Errorf("%s: event %d: %w", name, n, err))
		}
		if err := e.Validate(); err != nil {
			return nil, Invalidf("%s: event %d: %s", name, n, strings.ReplaceAll(err.Error(), "\n", "; "))
		}
		out = append(out, e)
	}
	if len(out) == 0 {
		return nil, Invalidf("%s: no events", name)
	}
	return out, nil
}
