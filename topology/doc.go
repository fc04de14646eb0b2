// Package topology is the declarative model of a network of STOMP brokers
// (nodes, their listeners, the connectors between them and the PKI they
// trust) and its loader.
//
//	file ─yaml.v3─▶ node tree ─decode─▶ Spec as written ─like─▶ Spec ─check─▶ *Spec or ErrorList
//	                            types, keys           templates         names, URIs, references
//
// Every stage adds to one ErrorList, each error at file:line:col, so a
// user sees all the problems of a file in one run.
//
// A topology file looks like the classic ActiveMQ tutorial:
//
//	name: hub-and-spokes
//	nodes:
//	  hub:
//	    listen: ["stomp+ssl://127.0.0.1:0?needClientAuth=true"]
//	    tls: {identity: {self_signed: true}, trust: [hub, server-a, server-b]}
//	  server-a:
//	    listen: ["stomp://127.0.0.1:0"]
//	    tls: {identity: {self_signed: true}, trust: [server-a, hub]}
//	    connect: [{to: hub, duplex: true, dynamicOnly: false, networkTTL: 2}]
//	  server-b: {like: server-a}
//
// Parse walks yaml.v3 nodes by hand instead of decoding into tagged
// structs: only the node tree keeps line and column, and yaml.v3's
// KnownFields does not apply to Node.Decode, so unknown keys, repeated keys
// and wrong types are checked here, and each error names the field and
// what was expected. Parse returns every problem it finds as an ErrorList.
//
// `like: X` copies X's listen, tls and connect (deep copies); keys given
// alongside like replace X's whole value, and in a copied trust list X's
// own name becomes the new node's, so the spokes of the tutorial each
// trust themselves. Spec.Validate applies the same checks to a Spec built
// in code, such as the one HubAndSpokes returns.
//
// The example topologies in examples/ are embedded: Example("hub-and-spokes")
// parses one, Examples lists them. Certificates for a Spec are made by the
// pki subpackage.
package topology
