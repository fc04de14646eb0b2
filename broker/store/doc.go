// Package store keeps the broker's persistent messages on disk: an
// append-only log of puts and acks, in checksummed segments, written by one
// committer that shares each fsync among all the appends waiting for it,
// and replayed at Open into the messages still live. It knows nothing of
// package broker.
//
// # Format
//
// A data directory holds LOCK (flock: one Store at a time) and segments
// named by a 16-hex-digit number, 0000000000000001.seg and on. Numbers
// only grow; gaps are segments deleted because nothing in them was live.
// Integers are little-endian.
//
//	segment file
//	+------+-----+-------+------------+------------+---------+---------+----
//	| BLSG | ver | 0 0 0 | number u64 | base   u64 | frame   | frame   | ...
//	+------+-----+-------+------------+------------+---------+---------+----
//	  magic  =1    pad     = file name  first batch
//
//	frame
//	+------------+------------+----------+------------+---------------------+
//	| length u32 | mark   u64 | hcrc u32 | pcrc   u32 | payload (length B)  |
//	+------------+------------+----------+------------+---------------------+
//	               batch<<1 |   crc32c of  crc32c of
//	               last-of-batch length,mark  payload
//
//	payload
//	+------+--------+----+  put only:  +--------+------+------+---+-----+---+-------+
//	| kind | uv len | ID |  ---------> | uv len | dest | uv n | key | val |...| body  |
//	+------+--------+----+             +--------+------+------+---+-----+---+-------+
//	 1 put, 2 ack                                        n × (uv len + bytes)  the rest
//
// The header has a checksum of its own so that a length is never believed
// before it is checked: a frame is read only if its header checksum holds,
// its length is within MaxRecordSize and within what is left of the file,
// its payload checksum holds and the payload decodes exactly.
//
// # Why a log and not bbolt
//
// The broker needs to append, to delete whole messages later, to read
// everything back once at start, and to read a spooled body where AppendAt
// said it went: it never looks a message up by key. A log does exactly
// that with one sequential write and one fdatasync per group commit. A
// B+tree store such as bbolt rewrites pages along the path of every key
// and its freelist, and syncs twice per transaction (data, then meta
// page). Measured on this project's 2-core machine, 1 KiB bodies, each
// caller waiting until its put is durable:
//
//	appenders   bbolt (Update / Batch, MaxBatchDelay 0.2–1 ms)   this log
//	1                 2,100–3,600 records/s                     5,300–5,800 records/s
//	8                 3,800–4,100 records/s                      33,000–37,000 records/s
//	64               32,000–34,000 records/s                   137,000–153,000 records/s
//
// (bbolt v1.4.3, measured outside the module so as not to add it as a
// dependency; BenchmarkAppendSync here. ActiveMQ's persistent path on the
// same machine: about 15,000 messages/s.) Pebble would do better than
// bbolt but brings a whole LSM, its compactions and their tuning for
// what is a queue; the log is a few hundred lines whose recovery rules fit
// on this page.
//
// # Group commit
//
// Append encodes and checksums its payloads in the caller's goroutine,
// queues them and waits. One committer goroutine takes everything queued,
// writes it with one write, syncs once, and answers every caller in the
// batch. While it syncs, new appends queue up and become the next batch,
// so the sync cost is shared by all callers waiting at that moment. Left
// alone this settles into half batches (the first callers answered return
// while the rest are still being woken), so before a batch the committer
// lingers until as many callers are queued as the last batch had, for at
// most half the average sync time; a lone caller never waits.
//
// Every batch has a number, one more than the one before, and its last
// frame carries the last-of-batch bit. The records of one Append call are
// never split between batches (a call that would not fit starts the next
// segment), so after a crash they are recovered all or none: the broker
// can store a transaction's COMMIT as one call.
//
// # Segments
//
// The committer starts a new segment when the next call would take the
// active one past Options.SegmentSize; a call bigger than that gets a
// segment of its own. A segment is created whole: header written to a
// temporary file, synced, renamed into place, directory synced. A
// segment is deleted when none of its puts is live and every older
// segment holding a put that one of its acks removed is gone already —
// otherwise a replay would meet that put without its ack. Deletions go
// oldest first with a directory sync after each, so a power cut cannot
// keep a later removal and lose the earlier one it relied on.
//
// # Recovery
//
// Open replays the segments in order, applying a batch only when its
// last frame has been read, and returns the puts not acked, in append
// order, as IDs and locations without bodies. It streams each segment
// through one buffer and keeps of each record only its ID, so a log many
// times larger than memory replays in the memory of its live set's IDs;
// ReadRecovered then reads the live puts back, one at a time and in one
// sequential pass, for the caller to keep or drop each body (the broker
// spools what is over a queue's memory limit, as it does while running).
// Acks of unknown IDs and puts of IDs already live are ignored (the
// writer does not even write them). When a frame cannot be read:
//
//   - in a segment that is not the last: error. That segment was synced
//     before the next was created; the damage is not a crash's.
//   - in the last segment, and a whole frame of a later batch follows
//     anywhere after it: error. The committer syncs a batch before it
//     writes the next, so the damaged bytes had been synced.
//   - in the last segment otherwise: the torn tail of the batch being
//     written. Any part of it may be missing or garbled, even pages out
//     of order after a power cut, but none of it was acknowledged. The
//     file is cut back to the end of the last whole batch and Recovery.
//     Truncated names the file, the offset and the reason. (The search
//     for later frames reads the tail a window at a time.)
//
// Errors are *CorruptError, naming the file and the offset, and say what
// to do: move the file out of the directory, or truncate it at the
// offset. Open never starts empty on a directory it cannot read, and
// ReadRecovered reports a live record damaged since Open the same way.
//
// With NoSync nothing is synced: the log survives the process being
// killed (the kernel has the pages) but not the machine losing power.
// After a failed write or sync the store refuses further appends, since
// Linux may have dropped the unwritten pages; the next Open recovers what
// reached the disk. Err says so, and Options.OnFail hears it once, so
// that the owner can report it beyond the append that met it.
package store
