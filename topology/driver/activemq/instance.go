package activemq

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"time"
)

// DefaultHeap is each JVM's maximum heap: small, since several brokers
// share a small machine in tests.
const DefaultHeap = "256m"

// StartTimeout bounds how long an instance may take to say it started.
const StartTimeout = 120 * time.Second

// Instance is one running ActiveMQ JVM with its own base directory:
//
//	BASE/conf/activemq.xml, BASE/conf/log4j.properties, BASE/conf/hosts
//	BASE/data/activemq.log (the broker's log), BASE/console.log (stdout+stderr)
type Instance struct {
	Name, Base string
	cmd        *exec.Cmd
	done       chan struct{}
	err        error
}

// log4jProperties writes everything at INFO and above to
// BASE/data/activemq.log, the file the event reader follows, and to the
// console. Debian's ActiveMQ logs through slf4j-log4j12, i.e. log4j 1.2,
// whatever its instance template's log4j2.properties suggests.
const log4jProperties = `log4j.rootLogger=INFO, logfile, stdout
log4j.logger.org.springframework=WARN
log4j.logger.org.apache.xbean=WARN
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=%5p | %m%n
log4j.appender.logfile=org.apache.log4j.FileAppender
log4j.appender.logfile.file=${activemq.data}/activemq.log
log4j.appender.logfile.append=true
log4j.appender.logfile.layout=org.apache.log4j.PatternLayout
log4j.appender.logfile.layout.ConversionPattern=%d{ISO8601} | %-5p | %m | %c | %t%n
`

// StartInstance writes BASE's configuration and starts the JVM from the
// installation at home, in the foreground (so its PID is the broker's),
// then waits until its log says it started. On failure the log's end is
// in the error.
func StartInstance(home, base, name string, activemqXML, hosts []byte, heap string) (*Instance, error) {
	if heap == "" {
		heap = DefaultHeap
	}
	conf, data := filepath.Join(base, "conf"), filepath.Join(base, "data")
	for _, d := range []string{conf, data} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, err
		}
	}
	if err := os.WriteFile(filepath.Join(conf, "activemq.xml"), activemqXML, 0o600); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(conf, "log4j.properties"), []byte(log4jProperties), 0o644); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(conf, "hosts"), hosts, 0o644); err != nil {
		return nil, err
	}
	console, err := os.OpenFile(filepath.Join(base, "console.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	defer console.Close()
	logPath := filepath.Join(data, "activemq.log")
	offset := fileSize(logPath) // a restart appends; wait for the new "started"
	args := []string{
		"-Xms64m", "-Xmx" + heap, "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
		"-Dorg.apache.activemq.UseDedicatedTaskRunner=false",
		"--add-reads=java.xml=java.logging",
		"--add-opens", "java.base/java.security=ALL-UNNAMED", "--add-opens", "java.base/java.net=ALL-UNNAMED",
		"--add-opens", "java.base/java.lang=ALL-UNNAMED", "--add-opens", "java.base/java.util=ALL-UNNAMED",
		"--add-opens", "java.naming/javax.naming.spi=ALL-UNNAMED", "--add-opens", "java.rmi/sun.rmi.transport.tcp=ALL-UNNAMED",
		"--add-opens", "java.base/java.util.concurrent=ALL-UNNAMED", "--add-opens", "java.base/java.util.concurrent.atomic=ALL-UNNAMED",
		"-Dactivemq.classpath=" + conf + ":" + filepath.Join(home, "lib") + "/",
		"-Dactivemq.home=" + home, "-Dactivemq.base=" + base, "-Dactivemq.conf=" + conf, "-Dactivemq.data=" + data,
		"-Djava.io.tmpdir=" + data,
		"-Djdk.net.hosts.file=" + filepath.Join(conf, "hosts"),
		"-Dlog4j.configuration=file:" + filepath.Join(conf, "log4j.properties"),
		"-jar", filepath.Join(home, "bin", "activemq.jar"), "start", "xbean:file:" + filepath.Join(conf, "activemq.xml"),
	}
	cmd := exec.Command("java", args...)
	cmd.Dir = base
	cmd.Stdout, cmd.Stderr = console, console
	// The JVM dies with us, so a crashed test leaves no broker behind.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("activemq: node %s: start java: %w", name, err)
	}
	in := &Instance{Name: name, Base: base, cmd: cmd, done: make(chan struct{})}
	go func() {
		in.err = cmd.Wait()
		close(in.done)
	}()
	started := regexp.MustCompile(`Apache ActiveMQ \S+ \(` + regexp.QuoteMeta(name) + `, [^)]*\) started`)
	deadline := time.Now().Add(StartTimeout)
	for {
		if lineAfter(logPath, offset, started) {
			return in, nil
		}
		select {
		case <-in.done:
			return nil, fmt.Errorf("activemq: node %s exited at start-up (%v); its log:\n%s", name, in.err, in.LogTail(3000))
		case <-time.After(200 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			in.Kill()
			return nil, fmt.Errorf("activemq: node %s did not start within %v; its log:\n%s", name, StartTimeout, in.LogTail(3000))
		}
	}
}

func fileSize(path string) int64 {
	if fi, err := os.Stat(path); err == nil {
		return fi.Size()
	}
	return 0
}

func lineAfter(path string, offset int64, re *regexp.Regexp) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	if _, err := f.Seek(offset, 0); err != nil {
		return false
	}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		if re.Match(sc.Bytes()) {
			return true
		}
	}
	return false
}

// PID is the JVM's process id.
func (in *Instance) PID() int { return in.cmd.Process.Pid }

// LogFile is the broker's log.
func (in *Instance) LogFile() string { return filepath.Join(in.Base, "data", "activemq.log") }

// LogTail is the end of the broker's log and console, for error messages
// and for classifying failures.
func (in *Instance) LogTail(n int) string {
	var b strings.Builder
	for _, p := range []string{in.LogFile(), filepath.Join(in.Base, "console.log")} {
		data, _ := os.ReadFile(p)
		if len(data) > n {
			data = data[len(data)-n:]
		}
		fmt.Fprintf(&b, "--- %s\n%s", p, data)
	}
	return b.String()
}

// Stop sends SIGTERM (ActiveMQ's shutdown hook stops the broker) and waits;
// when ctx ends first, the JVM is killed.
func (in *Instance) Stop(ctx context.Context) error {
	in.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-in.done:
		return nil
	case <-ctx.Done():
		in.Kill()
		return fmt.Errorf("activemq: node %s did not stop in time and was killed: %w", in.Name, ctx.Err())
	}
}

// Kill stops the JVM with SIGKILL and waits for it.
func (in *Instance) Kill() {
	in.cmd.Process.Kill()
	<-in.done
}

// Exited reports whether the JVM has exited, and how.
func (in *Instance) Exited() (bool, error) {
	select {
	case <-in.done:
		var ee *exec.ExitError
		if errors.As(in.err, &ee) {
			return true, ee
		}
		return true, in.err
	default:
		return false, nil
	}
}
