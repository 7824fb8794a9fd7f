package config

// Expr is a rule expression (expr-lang syntax) kept as written, with where
// it was written. The rules engine compiles it and reports compile errors at
// Pos, so a typo in a rule names its file and line.
type Expr struct {
	Text string
	Pos  Position
}

func (e *Expr) setText(s string, p Position) { e.Text, e.Pos = s, p }

// MarshalText writes the expression's text.
func (e Expr) MarshalText() ([]byte, error) { return []byte(e.Text), nil }
