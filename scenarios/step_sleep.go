package scenarios

import (
	"fmt"
	"time"

	"gopkg.in/yaml.v3"
)

// sleepStep lets time pass: `sleep: 500ms`.
type sleepStep struct{ d time.Duration }

func init() { registerStep("sleep", parseSleep) }

func parseSleep(d *decoder, v *yaml.Node) Step {
	dur, err := time.ParseDuration(v.Value)
	if v.Kind != yaml.ScalarNode || err != nil || dur < 0 {
		d.errorf(v, "sleep takes a duration such as 500ms, got %q", v.Value)
		return nil
	}
	return &sleepStep{d: dur}
}

func (s *sleepStep) Describe() string { return fmt.Sprintf("sleep %v", s.d) }

func (s *sleepStep) Run(env *Env) error {
	select {
	case <-time.After(s.d):
		return nil
	case <-env.Ctx.Done():
		return env.Ctx.Err()
	}
}
