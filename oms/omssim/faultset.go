package omssim

import (
	"math/rand/v2"
	"sync"
	"time"
)

// faultSet holds the current rules and the seeded RNG that decides rate-based
// ones. One mutex orders the draws, so for a given seed and request order the
// decisions are always the same.
type faultSet struct {
	mu    sync.Mutex
	rules []Fault // Count is decremented as count rules fire
	rng   *rand.Rand
}

func newFaultSet(seed int64, rules []Fault) *faultSet {
	fs := &faultSet{rng: rand.New(rand.NewPCG(uint64(seed), 0x6f6d7373696d))} // "omssim"
	fs.set(rules)
	return fs
}

func (fs *faultSet) set(rules []Fault) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.rules = append([]Fault(nil), rules...)
}

// list returns the current rules with the remaining counts. Count rules that
// are used up are left out.
func (fs *faultSet) list() []Fault {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	out := make([]Fault, 0, len(fs.rules))
	for _, f := range fs.rules {
		if f.Count == 0 && f.Rate == 0 {
			continue
		}
		out = append(out, f)
	}
	return out
}

// decision is what faults do to one request.
type decision struct {
	latency time.Duration
	fault   *Fault // the terminal fault that replaces the answer, if any
}

// decide evaluates the rules in order for a request of action about project
// ("" for ListProjects). Latency rules add up; the first terminal rule that
// fires wins and later terminal rules are neither drawn nor consumed.
// notfound never applies to a request without a project.
func (fs *faultSet) decide(action, project string) decision {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	var d decision
	for i := range fs.rules {
		f := &fs.rules[i]
		if f.Target != "" && f.Target != action && f.Target != project {
			continue
		}
		if f.Kind == FaultNotFound && project == "" {
			continue
		}
		if f.terminal() && d.fault != nil {
			continue
		}
		if !fs.fires(f) {
			continue
		}
		if f.terminal() {
			fired := *f
			d.fault = &fired
		} else {
			d.latency += f.Duration
		}
	}
	return d
}

// fires consumes one use of a count rule or one RNG draw of a rate rule.
func (fs *faultSet) fires(f *Fault) bool {
	if f.Count > 0 {
		f.Count--
		if f.Count == 0 {
			f.Rate = 0 // used up: list() drops it, fires() never again
		}
		return true
	}
	if f.Rate <= 0 {
		return false
	}
	if f.Rate >= 1 {
		return true
	}
	return fs.rng.Float64() < f.Rate
}
