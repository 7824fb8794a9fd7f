package lease

// testGroup is the group of the tests' leases: a poller's source, as in
// the project leases.
const testGroup = "oms://cn-hangzhou"
