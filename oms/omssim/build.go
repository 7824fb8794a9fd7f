package omssim

import (
	"time"
)

// gmtLayout is how OMS writes its (UTC) times: no zone suffix.
const gmtLayout = "2006-01-02T15:04:05"

func (g *Generator) gmt(tick int64) string { return g.timeOf(tick).UTC().Format(gmtLayout) }

func (g *Generator) unix(tick int64) int64 { return g.timeOf(tick).Unix() }

// info is the ListProjects view of a project at global tick t.
func (g *Generator) info(sp *projectSpec, t int64) ProjectInfo {
	pm := sp.board.at(t, sp.offset)
	labels := make([]string, len(sp.labels))
	for i, l := range sp.labels {
		labels[i] = l.Id
	}
	return ProjectInfo{
		ID: sp.id, Name: sp.name, Type: sp.typ, Status: sp.board.projectStatus(pm.raw, pm.l),
		LabelIDs: labels, SourceEndpointType: sp.src.typ, SinkEndpointType: sp.sink.typ,
		GmtCreate: g.gmtCreate(sp), GmtModified: g.gmtModified(sp, pm), Alarming: g.alarms(sp, t).Alarming,
	}
}

func (g *Generator) gmtCreate(sp *projectSpec) string {
	return g.timeOf(-sp.offset).Add(-sp.createLead).UTC().Format(gmtLayout)
}

// gmtModified is the time of the project's last status change. In a repeated
// telling of a cyclic story, the previous telling's last change counts too.
func (g *Generator) gmtModified(sp *projectSpec, pm projectMoment) string {
	if pm.raw < 0 {
		return g.gmtCreate(sp)
	}
	tick := pm.tickOf(sp.board.lastChange(pm.l))
	sb := &sp.board
	if sb.cycleLen > 0 && pm.raw != pm.l {
		if e := sb.lastChange(sb.cycleFrom + sb.cycleLen - 1); e >= sb.cycleFrom {
			tick = max(tick, pm.t-(pm.l-e)-sb.cycleLen)
		}
	}
	return g.gmt(tick)
}

// light is the ListProjects item of a project without related info. It is
// built directly rather than cut from the full document: listing is the hot path.
func (g *Generator) light(sp *projectSpec, t int64) lightDoc {
	pm := sp.board.at(t, sp.offset)
	doc := lightDoc{
		Id: sp.id, Name: sp.name, Type: sp.typ, Status: sp.board.projectStatus(pm.raw, pm.l),
		Labels: append([]labelDoc{}, sp.labels...), Owner: sp.owner, Importance: sp.importance,
		GmtCreate: g.gmtCreate(sp), GmtModified: g.gmtModified(sp, pm), DestConnId: sp.sinkConnID,
		SourceEndpointType: sp.src.typ, SinkEndpointType: sp.sink.typ, WorkerGradeId: sp.workerID,
	}
	doc.GmtStart, doc.GmtFinish = g.startFinish(sp, pm)
	return doc
}

// startFinish are GmtStart and GmtFinish: null until the project starts
// and until it finishes.
func (g *Generator) startFinish(sp *projectSpec, pm projectMoment) (start, finish *string) {
	if pm.raw >= 0 {
		start = ptr(g.gmt(pm.tickOf(0)))
	}
	if f := sp.board.finishAt; f >= 0 && pm.l >= f {
		finish = ptr(g.gmt(pm.tickOf(f)))
	}
	return start, finish
}

// build assembles the Data object of a project at global tick t.
func (g *Generator) build(sp *projectSpec, t int64, withMapping bool) projectDoc {
	pm := sp.board.at(t, sp.offset)
	status := sp.board.projectStatus(pm.raw, pm.l)
	doc := projectDoc{
		WorkerGradeId: sp.workerID, WorkerGradeInfo: g.worker(sp, pm),
		Id: sp.id, Type: sp.typ, Name: sp.name, Labels: append([]labelDoc{}, sp.labels...),
		Owner: sp.owner, Importance: sp.importance, Status: status,
		GmtCreate: g.gmtCreate(sp), GmtModified: g.gmtModified(sp, pm),
		DestConnId:         sp.sinkConnID,
		SourceEndpointType: sp.src.typ, SinkEndpointType: sp.sink.typ,
		CommonTransferConfig: commonTransferConfig{TableCategory: "ALL"},
		EnableStructTransfer: true, EnableFullTransfer: true, EnableIncrTransfer: true,
		EnableFullVerify:          sp.board.step(phVerify) != nil,
		StructTransferConfig:      structTransferConfig{ByteCharConvertStrategy: "DO_NOTHING_IF_BYTE_USED", DeferIndexCreation: sp.deferIndex},
		FullTransferConfig:        g.fullConfig(sp),
		IncrTransferConfig:        g.incrConfig(sp, 64),
		ReverseIncrTransferConfig: g.incrConfig(sp, 0),
		SourceConnectInfo:         sp.src.connect("source", sp.srcConnID, sp.srcEndpoint, sp.srcHost, sp.region, sp.owner, sp.resourceOwner),
		SinkConnectInfo:           sp.sink.connect("sink", sp.sinkConnID, sp.sinkEndpoint, sp.sinkHost, sp.region, sp.owner, sp.resourceOwner),
		AlarmStats:                g.alarms(sp, t),
	}
	doc.GmtStart, doc.GmtFinish = g.startFinish(sp, pm)
	if withMapping {
		doc.TransferMapping = g.mapping(sp)
	}
	doc.Steps = g.steps(sp, pm)
	doc.ExtraInfo = g.extraInfo(sp, pm, doc.Steps)
	return doc
}

func (g *Generator) worker(sp *projectSpec, pm projectMoment) workerGradeInfo {
	w := workerGradeInfo{
		Id: sp.workerID, Name: sp.workerName, Spec: "LARGE", SpecName: "LARGE",
		Grade:      "OMS_G2_" + sp.typ + "_LARGE",
		SourceType: sp.src.typ, SourceRegion: sp.region, DestType: sp.sink.typ, DestRegion: sp.region,
		ChargeType: "POSTPAY", AutoRenewal: false,
		GmtCreate: g.timeOf(-sp.offset).Add(-sp.createLead - time.Hour).UTC().Format(gmtLayout),
		EndTime:   g.timeOf(-sp.offset).Add(365 * 24 * time.Hour).UTC().Format(gmtLayout),
	}
	if sp.prepaid {
		w.ChargeType, w.AutoRenewal = "PREPAY", sp.board.expireAt < 0
	}
	if e := sp.board.expireAt; e >= 0 {
		w.EndTime = g.gmt(e - sp.offset)
		w.Expired = pm.l >= e
	}
	return w
}

func (g *Generator) fullConfig(sp *projectSpec) fullTransferConfig {
	c := fullTransferConfig{AllowDestTableNotEmpty: false, FullTransferSpeedMode: "NORMAL", FullVerifySpeedMode: "NORMAL",
		WriteWorkerNum: 32, ReadWorkerNum: 32}
	if sp.throttle {
		c.FullTransferSpeedMode, c.ThrottleRps, c.ThrottleIOPS = "STEADY", ptr(20000), ptr(64<<20)
	}
	return c
}

// incrConfig is IncrTransferConfig; concurrency 0 is the unused reverse one.
func (g *Generator) incrConfig(sp *projectSpec, concurrency int) incrTransferConfig {
	c := incrTransferConfig{RecordTypeWhiteList: []string{"INSERT", "UPDATE", "DELETE"}, StoreLogKeptHour: 168,
		SupportDDLTypes: []string{"CREATE_TABLE", "ALTER_TABLE", "TRUNCATE_TABLE"}}
	if concurrency == 0 {
		c.RecordTypeWhiteList, c.SupportDDLTypes, c.StoreLogKeptHour = []string{}, []string{}, 0
		return c
	}
	c.StartTimestamp = g.unix(sp.incrStart - sp.offset)
	c.IncrSyncConcurrency, c.EnableIncrSyncStatistics, c.EnableSequencingWithinTxn = concurrency, true, false
	return c
}
