package omssim

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"time"
)

// GeneratorOptions configure a Generator.
type GeneratorOptions struct {
	// Seed makes the projects reproducible: the same seed gives the same ids,
	// names, sizes and lifecycles.
	Seed int64
	// Projects is how many projects to make (default 20).
	Projects int
	// Template, when set, gives every project that lifecycle (see
	// Templates); the first project then also gets the template's
	// canonical shape (a MySQL to OceanBase pair, started at tick 2).
	// Empty deals the templates out in turn, with random start offsets.
	Template string
	// MinTables and MaxTables bound each project's table count, drawn
	// log-uniformly (default 1 and 200).
	MinTables, MaxTables int
	// BigTables > 0 gives the first project that many tables (5,000 makes a
	// DescribeProject answer of about 1 MB).
	BigTables int
	// Epoch is the simulated time of tick 0 (default 2025-06-01T08:00:00Z).
	Epoch time.Time
	// Step is the simulated time one tick stands for (default DefaultTick).
	// For a live server use the server's tick so timestamps track the wall
	// clock; recordings use a minute so a story spans a plausible hour.
	Step time.Duration
}

// defaultEpoch is the simulated time of tick 0 when GeneratorOptions.Epoch is zero.
func defaultEpoch() time.Time { return time.Date(2025, 6, 1, 8, 0, 0, 0, time.UTC) }

func (o *GeneratorOptions) validate() error {
	var errs []error
	if o.Projects < 0 {
		errs = append(errs, fmt.Errorf("projects %d: must not be negative", o.Projects))
	}
	if o.MinTables < 0 || o.MaxTables < 0 || (o.MaxTables > 0 && o.MinTables > o.MaxTables) {
		errs = append(errs, fmt.Errorf("tables %d..%d: want 1 <= min <= max", o.MinTables, o.MaxTables))
	}
	if o.BigTables < 0 {
		errs = append(errs, fmt.Errorf("big tables %d: must not be negative", o.BigTables))
	}
	if o.Step < 0 {
		errs = append(errs, fmt.Errorf("step %s: must not be negative", o.Step))
	}
	if o.Template != "" {
		if _, err := templateByName(o.Template); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Generator is a Scenario of synthetic projects whose state is a pure
// function of the seed and the tick.
type Generator struct {
	opts     GeneratorOptions
	stepSec  int64
	projects []*projectSpec
	byID     map[string]*projectSpec
}

// NewGenerator makes the projects.
func NewGenerator(o GeneratorOptions) (*Generator, error) {
	if err := o.validate(); err != nil {
		return nil, fmt.Errorf("generator: %w", err)
	}
	if o.Projects == 0 {
		o.Projects = 20
	}
	if o.MinTables == 0 {
		o.MinTables = 1
	}
	if o.MaxTables == 0 {
		o.MaxTables = max(200, o.MinTables)
	}
	if o.Epoch.IsZero() {
		o.Epoch = defaultEpoch()
	}
	if o.Step == 0 {
		o.Step = DefaultTick
	}
	g := &Generator{opts: o, stepSec: max(1, int64(o.Step/time.Second)), byID: make(map[string]*projectSpec)}
	labels := makeLabels(o.Seed)
	for i := range o.Projects {
		sp := g.newSpec(i, labels)
		g.projects = append(g.projects, sp)
		g.byID[sp.id] = sp
	}
	return g, nil
}

// IDs lists the project ids in creation order.
func (g *Generator) IDs() []string {
	ids := make([]string, len(g.projects))
	for i, p := range g.projects {
		ids[i] = p.id
	}
	return ids
}

// Story returns the global ticks [from, from+ticks) in which the first
// project's story is told once: from its plot (tick 0 for a migration, just
// before the incremental step settles for a sync story) to its end. It is
// what a recording of the story covers.
func (g *Generator) Story() (from, ticks int64) {
	if len(g.projects) == 0 {
		return 0, 0
	}
	p := g.projects[0]
	return p.board.plot - p.offset, p.board.length - p.board.plot
}

// Time is Epoch + Tick × Step.
func (g *Generator) Time(m Moment) time.Time { return g.timeOf(m.Tick) }

func (g *Generator) timeOf(tick int64) time.Time {
	return g.opts.Epoch.Add(time.Duration(tick) * g.opts.Step)
}

// Projects lists every project at m, in creation order.
func (g *Generator) Projects(m Moment) []ProjectInfo {
	out := make([]ProjectInfo, len(g.projects))
	for i, sp := range g.projects {
		out[i] = g.info(sp, m.Tick)
	}
	return out
}

// Describe builds a project's Data object at m.
func (g *Generator) Describe(m Moment, id string, d Detail) (Described, bool) {
	sp, ok := g.byID[id]
	if !ok {
		return Described{}, false
	}
	var doc any
	if d == Light {
		doc = g.light(sp, m.Tick)
	} else {
		doc = g.build(sp, m.Tick, d == Full)
	}
	b, err := marshal(doc)
	if err != nil {
		panic(fmt.Sprintf("omssim: encode generated project: %v", err)) // plain structs: cannot fail
	}
	return Described{Data: b}, true
}

// projectSpec is everything about a project that does not change with time.
type projectSpec struct {
	index                     int
	id, name                  string
	owner, importance         string
	typ                       string
	legacy                    bool
	src, sink                 endpoint
	region                    string
	tables                    int
	rows                      int64
	labels                    []labelDoc
	offset                    int64 // local tick = global tick + offset
	createLead                time.Duration
	noise                     uint64
	board                     storyboard
	workerID, workerName      string
	srcConnID, sinkConnID     string
	srcEndpoint, sinkEndpoint string
	srcHost, sinkHost         string
	prepaid, deferIndex       bool
	throttle                  bool
	incrStart                 int64
	resourceOwner             string
}

// newSpec draws project i. Each project has its own RNG stream, so adding
// projects never changes the earlier ones.
func (g *Generator) newSpec(i int, labels []labelDoc) *projectSpec {
	r := rand.New(rand.NewPCG(uint64(g.opts.Seed), uint64(i)+1))
	sp := &projectSpec{index: i, noise: r.Uint64()}
	for sp.id == "" || g.byID[sp.id] != nil {
		sp.id = "np_" + base36(r, 12)
	}
	tmplName := g.opts.Template
	if tmplName == "" {
		tmplName = dealtTemplates()[i%len(dealtTemplates())]
	}
	tmpl, _ := templateByName(tmplName) // validated
	canonical := g.opts.Template != "" && i == 0
	sp.typ = tmpl.typ
	sp.legacy = r.IntN(3) == 0
	pair := pairs[r.IntN(len(pairs))]
	if canonical {
		pair, sp.legacy = pairs[0], tmplName == TemplateAlarm
	}
	sp.src, sp.sink = endpoints[pair[0]], endpoints[pair[1]]
	sp.tables = g.tableCount(r, i)
	sp.rows = int64(sp.tables) * (1000 + r.Int64N(400_000))
	sp.deferIndex = r.IntN(4) != 0
	g.drawIdentity(sp, r, labels, canonical)
	params := boardParams{
		fullTicks: min(30, 3+int64(sp.tables)/200+int64(math.Log10(float64(sp.rows)))),
		stepSec:   g.stepSec, legacy: sp.legacy, deferIndex: sp.deferIndex,
		fullErr: pickError(r, fullErrors), incrErr: pickError(r, incrErrors),
	}
	if canonical {
		params.incrErr = incrErrors[0]
	}
	sp.board = tmpl.build(params)
	// Spread the projects over their lifecycles: some not started yet, most
	// somewhere in the middle. The canonical one starts two ticks in.
	sp.offset = r.Int64N(sp.board.length+30) - 30
	if canonical {
		sp.offset = -2
	}
	sp.prepaid = tmplName == TemplateWorkerExpiry || r.IntN(3) == 0
	sp.createLead = time.Duration(1+r.IntN(72)) * time.Hour
	if p := sp.board.step(phIncr); p != nil {
		sp.incrStart = p.start
	}
	return sp
}

func (g *Generator) tableCount(r *rand.Rand, i int) int {
	if i == 0 && g.opts.BigTables > 0 {
		return g.opts.BigTables
	}
	lo, hi := math.Log(float64(g.opts.MinTables)), math.Log(float64(g.opts.MaxTables))
	return int(math.Round(math.Exp(lo + r.Float64()*(hi-lo))))
}

// drawIdentity gives a project its names, owner, labels and connection ids.
func (g *Generator) drawIdentity(sp *projectSpec, r *rand.Rand, labels []labelDoc, canonical bool) {
	db := dbNames[r.IntN(len(dbNames))]
	sp.name = fmt.Sprintf("%s_%s_to_%s_%03d", db, sp.src.short, sp.sink.short, sp.index+1)
	sp.owner = owners[r.IntN(len(owners))]
	sp.importance = importances[r.IntN(len(importances))]
	if canonical {
		sp.importance = "HIGH"
	}
	for _, l := range labels {
		if r.IntN(4) == 0 && len(sp.labels) < 3 {
			sp.labels = append(sp.labels, l)
		}
	}
	sp.region = regions[r.IntN(len(regions))]
	sp.workerID, sp.workerName = "g_"+base36(r, 10), base36(r, 8)
	sp.srcConnID, sp.sinkConnID = "c_"+base36(r, 12), "c_"+base36(r, 12)
	sp.srcEndpoint, sp.sinkEndpoint = "e_"+base36(r, 12), "e_"+base36(r, 12)
	sp.srcHost = fmt.Sprintf("10.%d.%d.%d", r.IntN(256), r.IntN(256), 1+r.IntN(254))
	sp.sinkHost = fmt.Sprintf("10.%d.%d.%d", r.IntN(256), r.IntN(256), 1+r.IntN(254))
	sp.resourceOwner = fmt.Sprintf("13258%011d", r.Int64N(1e11))
	sp.throttle = r.IntN(5) == 0
}

// makeLabels is the pool of labels projects draw from.
func makeLabels(seed int64) []labelDoc {
	r := rand.New(rand.NewPCG(uint64(seed), 0))
	out := make([]labelDoc, len(labelNames))
	for i, n := range labelNames {
		out[i] = labelDoc{Id: "l_" + base36(r, 8), Name: n}
	}
	return out
}

func base36(r *rand.Rand, n int) string {
	const digits = "0123456789abcdefghijklmnopqrstuvwxyz"
	b := make([]byte, n)
	for i := range b {
		b[i] = digits[r.IntN(len(digits))]
	}
	return string(b)
}

var (
	labelNames  = []string{"prod", "staging", "finance", "orders", "analytics", "critical", "nightly", "cn-east"}
	dbNames     = []string{"orders", "billing", "crm", "inventory", "payments", "users", "logistics", "reports", "audit", "catalog"}
	owners      = []string{"dba_li", "dba_chen", "ops_wang", "data_team", "zhang_wei", "liu_yang"}
	importances = []string{"HIGH", "HIGH", "MEDIUM", "MEDIUM", "LOW", "IGNORE"}
	regions     = []string{"cn-hangzhou", "cn-shanghai", "cn-beijing", "ap-southeast-1"}
)
