package omssim

// endpoint is a data-source type as the generator fakes it.
type endpoint struct {
	typ, short      string // SourceEndpointType / SinkEndpointType, and a name part
	engine, version string
	port            int
	charset         string
	user            string
	ob, oracle      bool
}

var endpoints = map[string]endpoint{
	"MYSQL":     {typ: "MYSQL", short: "mysql", engine: "MYSQL_PUBLIC", version: "8.0.32", port: 3306, charset: "utf8mb4", user: "oms_mysql"},
	"ORACLE":    {typ: "ORACLE", short: "oracle", engine: "ORACLE_PUBLIC", version: "19c", port: 1521, charset: "AL32UTF8", user: "OMS_ORA", oracle: true},
	"OB_MYSQL":  {typ: "OB_MYSQL", short: "ob", engine: "OB_MYSQL_PUBLIC", version: "4.2.1.8", port: 2883, charset: "utf8mb4", user: "oms_user@mysql_tenant#ob_cluster", ob: true},
	"OB_ORACLE": {typ: "OB_ORACLE", short: "oboracle", engine: "OB_ORACLE_PUBLIC", version: "4.2.1.8", port: 2883, charset: "AL32UTF8", user: "OMS_USER@oracle_tenant#ob_cluster", ob: true, oracle: true},
}

// pairs are the source/sink combinations generated; the first is the
// canonical MySQL to OceanBase migration.
var pairs = [][2]string{
	{"MYSQL", "OB_MYSQL"},
	{"ORACLE", "OB_ORACLE"},
	{"OB_MYSQL", "OB_MYSQL"},
	{"OB_MYSQL", "MYSQL"},
	{"MYSQL", "MYSQL"},
}

// connect fills a SourceConnectInfo or SinkConnectInfo.
func (e endpoint) connect(side, id, endpointID, host, region, owner, resourceOwner string) connectInfo {
	ci := connectInfo{
		Id: id, EndpointName: e.short + "_" + side + "_" + endpointID[len(endpointID)-4:], EndpointId: endpointID,
		EndpointSide: side, DbEngine: e.engine, Username: e.user, Version: e.version, Timezone: "+08:00",
		Charset: e.charset, OperatingSystem: "Linux", Region: region, Owner: owner,
		ResourceOwner: resourceOwner, Host: host, Port: e.port,
	}
	if e.oracle {
		ci.NlsLengthSemantics = ptr("BYTE")
	}
	if e.ob {
		ci.OcpName = ptr("ocp_" + region)
		ci.ConnExtraAttributes = map[string]any{
			"cluster": "ob_cluster", "tenant": tenantOf(e), "isLogicSource": false, "useLogProxy": true,
			"drcUser": "drc_user", "configUrl": "http://" + host + ":8080/services?Action=ObRootServiceInfo&ObCluster=ob_cluster",
			"logProxyIp": host, "logProxyPort": 2983, "noUserAuth": false,
		}
	}
	return ci
}

func tenantOf(e endpoint) string {
	if e.oracle {
		return "oracle_tenant"
	}
	return "mysql_tenant"
}

func ptr[T any](v T) *T { return &v }
