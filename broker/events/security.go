package events

// Security events. Neither ever carries a passcode: Reason says which
// module refused and why, Peer names the login or certificate subject.
const (
	// AuthFailed: a CONNECT (client or bridge) was refused by the login
	// stack or the failed-login rate limit; Reason says why.
	AuthFailed Kind = "auth-failed"
	// AuthzDenied: a SEND, SUBSCRIBE, destination creation, or a message
	// or demand a bridge forwarded was refused by the authorization map;
	// Peer is the user, Dest the destination, Reason ActiveMQ's words
	// ("User u is not authorized to write to: queue://X").
	AuthzDenied Kind = "authz-denied"
	// Authenticated: a CONNECT was let in; Peer is the user, Reason the
	// groups and the modules that vouched ("groups admins; by certificate").
	Authenticated Kind = "authenticated"
)
