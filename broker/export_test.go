package broker

// CloseStore closes the broker's store under it, as a failing disk would:
// every append from now on fails. Tests use it to check that nothing is
// acknowledged that was not stored.
func (b *Broker) CloseStore() { b.currentStore().Close() }
