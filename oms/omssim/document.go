package omssim

// The types below are the DescribeProject Data object with exactly the field
// set of the API page's example (testdata/oms/seed_describeproject.json), in
// its PascalCase spelling. Go field names are the JSON names. Pointers and
// `any` are fields the API returns as null when they do not apply.

type projectDoc struct {
	WorkerGradeId             string
	WorkerGradeInfo           workerGradeInfo
	Id                        string
	Type                      string
	Name                      string
	Labels                    []labelDoc
	Owner                     string
	Importance                string
	Status                    string
	GmtCreate                 string
	GmtModified               string
	GmtStart                  *string
	GmtFinish                 *string
	DestConnId                string
	IsMerging                 bool
	IsModifying               bool
	IsSubProject              bool
	SourceEndpointType        string
	SinkEndpointType          string
	TransferMapping           *transferMapping `json:",omitempty"` // left out of ListProjects
	CommonTransferConfig      commonTransferConfig
	EnableStructTransfer      bool
	StructTransferConfig      structTransferConfig
	EnableFullTransfer        bool
	EnableFullVerify          bool
	FullTransferConfig        fullTransferConfig
	EnableIncrTransfer        bool
	EnableIncrVerify          bool
	EnableReverseIncrTransfer bool
	IncrTransferConfig        incrTransferConfig
	ReverseIncrTransferConfig incrTransferConfig
	SourceConnectInfo         connectInfo
	SinkConnectInfo           connectInfo
	Steps                     []stepDoc
	ExtraInfo                 extraInfoDoc
	AlarmStats                alarmStatsDoc
}

type workerGradeInfo struct {
	Id           string
	Name         string
	Grade        string
	Spec         string
	SpecName     string
	SourceType   string
	SourceRegion string
	DestType     string
	DestRegion   string
	ChargeType   string
	AutoRenewal  bool
	Expired      bool
	EndTime      string
	GmtCreate    string
}

type labelDoc struct {
	Id   string
	Name string
}

type transferMapping struct {
	Mode                  string
	Databases             []databaseDoc
	DatabasesBlack        []databaseDoc
	TableAndViewWhiteList []string
	TableAndViewBlackList []string
}

type databaseDoc struct {
	Type           string
	Id             string
	Name           string
	MappedName     string
	TenantName     *string
	Tables         []tableDoc
	Views          []tableDoc
	SpecificTables []tableDoc
	SpecificViews  []tableDoc
}

type tableDoc struct {
	Name           string
	MappedName     string
	Id             string
	WhereClause    *string
	FilterColumns  []string
	ShardColumns   []string
	AdbTableSchema *adbTableSchema
}

type adbTableSchema struct {
	PrimaryKeys        []string
	DistributedKeys    []string
	PartitionStatement *string
	PartitionLifeCycle *string
}

type commonTransferConfig struct {
	TableCategory          string
	ActiveActive           bool
	MqSerializerType       *string
	MqPartitionMode        *string
	MqPartition            int
	DatahubTopicType       *string
	RocketMqProducerGroup  *string
	RocketMqMsgTags        *string
	RocketMqEnableMsgTrace bool
	RocketMqSendMsgTimeout int
	DataWorksBusinessName  *string
	SinkStoreFormat        string
	SourceStoreFormat      string
}

type structTransferConfig struct {
	ByteCharConvertStrategy string
	DeferIndexCreation      bool
}

type fullTransferConfig struct {
	NonePkUkTruncateDstTable bool
	AllowDestTableNotEmpty   bool
	FullTransferSpeedMode    string
	FullVerifySpeedMode      string
	WriteWorkerNum           int
	ReadWorkerNum            int
	ThrottleRps              *int
	ThrottleIOPS             *int
}

type incrTransferConfig struct {
	StartTimestamp            int64
	RecordTypeWhiteList       []string
	StoreLogKeptHour          int
	EnableSequencingWithinTxn bool
	IncrSyncConcurrency       int
	EnableIncrSyncStatistics  bool
	ThrottleRps               *int
	ThrottleIOPS              *int
	SupportDDLTypes           []string
}

type connectInfo struct {
	Id                  string
	EndpointName        string
	EndpointId          string
	EndpointSide        string
	DbEngine            string
	ConnectionInfo      *string
	Username            string
	Version             string
	Timezone            string
	Charset             string
	NlsLengthSemantics  *string
	OperatingSystem     string
	Region              string
	OcpName             *string
	ConnExtraAttributes map[string]any
	Owner               string
	ResourceOwner       string
	Host                string
	Port                int
}

type stepDoc struct {
	Order       int
	Name        string
	Description string
	Status      string
	ExtraInfo   stepExtraInfo
	StartTime   *string
	FinishTime  *string
	Progress    int
	StepInfo    map[string]any
}

type stepExtraInfo struct {
	ErrorDetails []errorDetailJSON
	ErrorCode    *string
	ErrorMsg     *string
	ErrorParam   map[string]string
	FailedTime   *string
}

type extraInfoDoc struct {
	RunningStep               *string
	RunningProgress           int
	MonitoringIncr            bool
	Subtopics                 []string
	ReverseSubtopics          []string
	LogServiceStartCheckpoint *int64
	SourceStoreKeptHour       int
	SyncDelay                 *int64
	SyncDelaySampleTimestamp  *int64
	AccessObSource            bool
	OverwriteConfig           bool
	IgnoreUnsupportDdl        bool
	SubDbs                    map[string]any
	SubConds                  map[string]any
	SubIds                    map[string]any
	MaxConnectorCount         int
	StoreIncr                 bool
	IncrSyncTimestamp         *int64
}

type alarmStatsDoc struct {
	Target                     *string
	Alarming                   bool
	RecentlyTriggerCount       int
	RuleToRecentlyTriggerCount map[string]int
	AlarmContent               *string
	OpenMonitor                bool
}

// lightDoc is a ListProjects item with NeedRelatedInfo=false (lightFields).
type lightDoc struct {
	Id                 string
	Name               string
	Type               string
	Status             string
	Labels             []labelDoc
	Owner              string
	Importance         string
	GmtCreate          string
	GmtModified        string
	GmtStart           *string
	GmtFinish          *string
	DestConnId         string
	IsMerging          bool
	IsModifying        bool
	IsSubProject       bool
	SourceEndpointType string
	SinkEndpointType   string
	WorkerGradeId      string
}
