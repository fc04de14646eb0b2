package needs

import (
	"os"
	"strings"
	"testing"
)

// The CI machine has both; this proves the helpers find them there, and
// that a wrong location is reported rather than silently accepted.
func TestDockerAndActiveMQFound(t *testing.T) {
	Docker(t)
	if ActiveMQ(t) == "" {
		t.Fatal("ActiveMQ returned no home")
	}
}

func TestActiveMQAvailableNamesTheMissingJar(t *testing.T) {
	t.Setenv("ACTIVEMQ_HOME", t.TempDir())
	err := ActiveMQAvailable()
	if err == nil {
		t.Fatal("an empty ACTIVEMQ_HOME was accepted")
	}
	t.Log(err)
}

func TestDockerAvailableNamesTheSocket(t *testing.T) {
	t.Setenv("DOCKER_HOST", "unix://"+t.TempDir()+"/none.sock")
	err := DockerAvailable()
	if err == nil {
		t.Fatal("a missing socket answered")
	}
	if want := os.Getenv("DOCKER_HOST")[len("unix://"):]; !strings.Contains(err.Error(), want) {
		t.Fatalf("error %q does not name %s", err, want)
	}
}
