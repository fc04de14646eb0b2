package bench

import (
	"encoding/binary"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// ProcCPU is the CPU time (user + system, every thread, reaped children
// not included) that process pid has used so far, as the kernel accounts
// it in /proc/PID/stat. Its resolution is one clock tick (ClockTick,
// 10 ms on Linux), which is why the measured windows last seconds.
func ProcCPU(pid int) (time.Duration, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, fmt.Errorf("bench: CPU time of process %d: %w", pid, err)
	}
	ticks, err := parseStat(string(data))
	if err != nil {
		return 0, fmt.Errorf("bench: CPU time of process %d: %w", pid, err)
	}
	return time.Duration(ticks) * ClockTick(), nil
}

// parseStat returns utime+stime in clock ticks from the text of a
// /proc/PID/stat file. The command name (field 2) is in parentheses and may
// itself hold spaces and parentheses, so fields are counted from the last
// ')'; utime and stime are fields 14 and 15 (proc(5)).
func parseStat(s string) (uint64, error) {
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, fmt.Errorf("malformed stat line %.60q", s)
	}
	f := strings.Fields(s[i+1:]) // f[0] is field 3, the state
	const utime, stime = 14 - 3, 15 - 3
	if len(f) <= stime {
		return 0, fmt.Errorf("stat line has %d fields, want at least %d", len(f)+2, stime+3)
	}
	u, err1 := strconv.ParseUint(f[utime], 10, 64)
	st, err2 := strconv.ParseUint(f[stime], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("stat line: utime %q, stime %q are not counts of ticks", f[utime], f[stime])
	}
	return u + st, nil
}

// SelfCPU is the CPU time (user + system) this process has used so far,
// from getrusage(RUSAGE_SELF), with microsecond resolution.
func SelfCPU() (time.Duration, error) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, fmt.Errorf("bench: getrusage: %w", err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), nil
}

var clockTick = sync.OnceValue(func() time.Duration {
	if hz := auxvClockTicks(); hz > 0 {
		return time.Second / time.Duration(hz)
	}
	return time.Second / 100 // USER_HZ on every Linux architecture Go runs on
})

// ClockTick is the unit of /proc/PID/stat's times: 1/sysconf(_SC_CLK_TCK).
// Go has no sysconf without cgo; the kernel hands the same number to every
// process in its auxiliary vector (AT_CLKTCK), which is where libc's
// sysconf reads it too.
func ClockTick() time.Duration { return clockTick() }

// auxvClockTicks reads AT_CLKTCK from /proc/self/auxv: pairs of native
// words (key, value), ended by AT_NULL. 0 when it cannot be read.
func auxvClockTicks() uint64 {
	const atNull, atClkTck = 0, 17
	data, err := os.ReadFile("/proc/self/auxv")
	if err != nil {
		return 0
	}
	const word = 8 // 64-bit Linux; on 32-bit the fallback (100) is used
	if strconv.IntSize != 64 {
		return 0
	}
	for i := 0; i+2*word <= len(data); i += 2 * word {
		k := binary.NativeEndian.Uint64(data[i:])
		v := binary.NativeEndian.Uint64(data[i+word:])
		switch k {
		case atNull:
			return 0
		case atClkTck:
			return v
		}
	}
	return 0
}
