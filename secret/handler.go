package secret

import (
	"context"
	"fmt"
	"log/slog"
)

// NewHandler wraps h so that every secret r knows is masked in each log
// record before h formats it: the message, and every string, error and
// fmt.Stringer value, in groups and in attributes bound with WithAttrs too.
// A String already logs as its mask; this is for the secrets that arrive
// inside text from elsewhere (a library's error quoting a URL with a token,
// a server's answer echoing a header). Secrets added to r later apply to
// records logged later.
func NewHandler(h slog.Handler, r *Redactor) slog.Handler {
	return &redactingHandler{h: h, r: r}
}

type redactingHandler struct {
	h slog.Handler
	r *Redactor
}

func (rh *redactingHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return rh.h.Enabled(ctx, l)
}

func (rh *redactingHandler) Handle(ctx context.Context, rec slog.Record) error {
	out := slog.NewRecord(rec.Time, rec.Level, rh.r.Redact(rec.Message), rec.PC)
	rec.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(rh.attr(a))
		return true
	})
	return rh.h.Handle(ctx, out)
}

func (rh *redactingHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return &redactingHandler{h: rh.h.WithAttrs(rh.attrs(as)), r: rh.r}
}

func (rh *redactingHandler) WithGroup(name string) slog.Handler {
	return &redactingHandler{h: rh.h.WithGroup(name), r: rh.r}
}

func (rh *redactingHandler) attrs(as []slog.Attr) []slog.Attr {
	out := make([]slog.Attr, len(as))
	for i, a := range as {
		out[i] = rh.attr(a)
	}
	return out
}

// attr masks one attribute's value. Structured values other than errors
// and Stringers are left to their own marshalling (a String inside them
// marshals as its mask).
func (rh *redactingHandler) attr(a slog.Attr) slog.Attr {
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		return slog.String(a.Key, rh.r.Redact(v.String()))
	case slog.KindGroup:
		return slog.Attr{Key: a.Key, Value: slog.GroupValue(rh.attrs(v.Group())...)}
	case slog.KindAny:
		switch x := v.Any().(type) {
		case error:
			return slog.String(a.Key, rh.r.Redact(x.Error()))
		case fmt.Stringer:
			return slog.String(a.Key, rh.r.Redact(x.String()))
		}
	}
	return slog.Attr{Key: a.Key, Value: v}
}
