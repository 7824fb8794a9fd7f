package omssim

// steps builds Steps[] at a moment.
func (g *Generator) steps(sp *projectSpec, pm projectMoment) []stepDoc {
	sb := &sp.board
	suspended := sb.suspended(pm.l)
	out := make([]stepDoc, 0, len(sb.steps))
	for i := range sb.steps {
		p := &sb.steps[i]
		st := stepState{status: stInit}
		if pm.raw >= 0 {
			st = p.state(pm.l, suspended)
		}
		if st.status == stMonitoring && sb.resuming(pm.l) {
			st = stepState{status: stRunning, progress: 99} // catching up after the pause
		}
		doc := stepDoc{
			Order: i + 1, Name: stepName(p.phase, sp.legacy, sp.typ), Description: stepDescription(p.phase, sp.typ),
			Status: st.status, Progress: st.progress,
			ExtraInfo: stepExtraInfo{ErrorDetails: []errorDetailJSON{}, ErrorParam: map[string]string{}},
			StepInfo:  g.stepInfo(sp, p, pm, st),
		}
		if st.status != stInit {
			doc.StartTime = ptr(g.gmt(pm.tickOf(p.start)))
		}
		if st.status == stFinished {
			doc.FinishTime = ptr(g.gmt(pm.tickOf(p.end)))
		}
		if f := st.fail; f != nil {
			doc.ExtraInfo = stepExtraInfo{
				ErrorDetails: []errorDetailJSON{f.err.detail.full()},
				ErrorCode:    ptr(f.err.code), ErrorMsg: ptr(f.err.msg),
				ErrorParam: f.err.param, FailedTime: ptr(g.gmt(pm.tickOf(f.from))),
			}
		}
		out = append(out, doc)
	}
	return out
}

// stepInfo is the free-form StepInfo of a step: row counts and rates for
// full transfer and verification, checkpoints for incremental and switchover.
func (g *Generator) stepInfo(sp *projectSpec, p *stepPlan, pm projectMoment, st stepState) map[string]any {
	info := map[string]any{}
	if st.status == stInit {
		return info
	}
	switch p.phase {
	case phFull, phVerify:
		running := st.status == stRunning
		rps := int64(0)
		if running {
			rps = 8000 + int64(splitmix(sp.noise^uint64(pm.t))%4000)
		}
		info["processedRecords"] = sp.rows * int64(st.progress) / 100
		info["capacity"] = sp.rows
		info["srcRps"], info["dstRps"] = rps, rps
		info["srcRt"], info["dstRt"] = "1", int64(1)
		info["srcIops"], info["dstIops"] = rps*512, rps*512
		info["srcRpsRef"], info["dstRpsRef"], info["dstRtRef"] = int64(12000), int64(12000), int64(2)
	case phIncr:
		sample, delay := g.sample(sp, pm)
		info["incrTimestampCheckpoint"] = sample - delay
		info["checkpointSampleTimestamp"] = sample
		info["enableIncrStatistics"] = true
	case phSwitch:
		info["checkpointSampleTimestamp"] = g.unix(pm.tickOf(min(pm.l, max(p.start, p.end))))
	}
	return info
}

// sample returns when the incremental lag was last sampled (unix seconds)
// and the lag then. Sampling stops when the incremental step finishes.
func (g *Generator) sample(sp *projectSpec, pm projectMoment) (at, delay int64) {
	l, t := pm.l, pm.t
	if p := sp.board.step(phIncr); p != nil && p.end >= 0 && l > p.end {
		t -= l - p.end
		l = p.end
	}
	d, _ := sp.board.delayAt(l, g.stepSec)
	if d < 10 {
		d += g.jitter(sp, t) // a frozen checkpoint must stay frozen: no jitter on real lag
	}
	return g.unix(t), d
}

// jitter makes a steady lag wobble by 0-2 s, the same way for the same tick.
func (g *Generator) jitter(sp *projectSpec, t int64) int64 {
	return int64(splitmix(sp.noise^uint64(t)*0x2545f4914f6cdd1d) % 3)
}

// extraInfo builds Data.ExtraInfo from the steps already built.
func (g *Generator) extraInfo(sp *projectSpec, pm projectMoment, steps []stepDoc) extraInfoDoc {
	x := extraInfoDoc{
		Subtopics: []string{}, ReverseSubtopics: []string{}, SourceStoreKeptHour: 168,
		AccessObSource: sp.src.ob, IgnoreUnsupportDdl: true,
		SubDbs: map[string]any{}, SubConds: map[string]any{}, SubIds: map[string]any{},
		MaxConnectorCount: -1, StoreIncr: true,
	}
	for _, want := range []string{stRunning, stFailed, stMonitoring} {
		for _, s := range steps {
			if s.Status == want && x.RunningStep == nil {
				x.RunningStep, x.RunningProgress = ptr(s.Name), s.Progress
			}
		}
	}
	for i, p := range sp.board.steps {
		st := steps[i].Status
		switch {
		case p.phase == phIncr && st != stInit:
			x.MonitoringIncr = st == stMonitoring
			at, d := g.sample(sp, pm)
			x.SyncDelay, x.SyncDelaySampleTimestamp, x.IncrSyncTimestamp = ptr(d), ptr(at), ptr(at-d)
			x.Subtopics = []string{sp.id + "_" + sp.src.short + "-1"}
		case p.phase == phFull && st != stInit:
			x.LogServiceStartCheckpoint = ptr(g.unix(pm.tickOf(p.start)))
		}
	}
	return x
}
