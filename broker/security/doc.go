// Package security is the broker's authentication and authorization: an
// ordered chain of plugins around the broker (ActiveMQ's BrokerFilter chain,
// made small), stacked login modules evaluated with JAAS's rules, and an
// authorization map of destination patterns to groups.
//
//	CONNECT ─▶ Chain.AddConnection ─▶ authentication plugin
//	                                    ├ rate limit per source address
//	                                    └ Stack: users │ certificate │ location │ guest
//	                                                 (required/requisite/sufficient/optional)
//	                                      ─▶ Principal{User, Groups}
//	SEND / SUBSCRIBE / bridge MESSAGE ─▶ Chain.Send/Subscribe ─▶ authorization plugin
//	                                      ─▶ AuthorizationMap: read / write / admin groups
//
// A plugin implements only the hooks it cares about (ConnectionAdder,
// BridgeAdder, Sender, Subscriber, Acker, DestinationCreator,
// ConnectionRemover); a hook that returns an error refuses the operation,
// and the error's text is what the client is told.
//
// The package knows nothing of sockets or frames: a login module sees a
// ConnView (login, passcode, remote address, TLS state) and returns a
// Principal or an error saying why. Passcodes travel as Secret, which
// never prints itself.
package security
